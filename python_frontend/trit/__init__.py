"""trit's Python frontend: the PyTorch reference models of BitNet b1.58 and
their ONNX exports (the numerics oracle of the project's tests)."""
