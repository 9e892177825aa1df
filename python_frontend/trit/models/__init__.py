"""PyTorch reference models of BitNet b1.58, written to be read."""

from .config import BitNetConfig, CONFIGS
from .bitnet import (BitLinear, BitNetModel, RMSNorm, quantize_activations,
                     quantize_weights)

__all__ = ["BitNetConfig", "CONFIGS", "BitLinear", "BitNetModel", "RMSNorm",
           "quantize_activations", "quantize_weights"]
