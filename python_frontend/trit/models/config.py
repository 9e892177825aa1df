"""Model configurations: the paper's LLaMA-like family and bitnet-b1.58-2B-4T
(design.md section 2), plus tiny shapes for tests."""

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class BitNetConfig:
    vocab_size: int
    hidden_size: int
    intermediate_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    # "swiglu": down(silu(gate(x)) * up(x)) (the paper's models);
    # "relu2": down(subnorm(relu(gate(x))^2 * up(x))) (2B-4T).
    ffn: str = "swiglu"
    # RMSNorm before o_proj and before down_proj, as in the public
    # checkpoints (both families).
    sub_norms: bool = True
    rope_theta: float = 10000.0
    rms_norm_eps: float = 1e-5
    tie_embeddings: bool = False
    max_position: int = 2048

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_heads

    def __post_init__(self):
        if self.hidden_size % self.num_heads:
            raise ValueError("hidden_size must be a multiple of num_heads")
        if self.num_heads % self.num_kv_heads:
            raise ValueError("num_heads must be a multiple of num_kv_heads")
        if self.ffn not in ("swiglu", "relu2"):
            raise ValueError(f"unknown ffn '{self.ffn}'")

    def scaled(self, **changes) -> "BitNetConfig":
        """A copy with some fields changed (e.g. fewer layers for a test)."""
        return replace(self, **changes)


CONFIGS = {
    # The paper's models (1bitLLM), LLaMA-like with SwiGLU, vocab 32000.
    "paper-700m": BitNetConfig(32000, 1536, 4096, 24, 24, 24),
    "paper-1.3b": BitNetConfig(32000, 2048, 5460, 24, 32, 32),
    "paper-3b": BitNetConfig(32000, 3200, 8640, 26, 32, 32),
    "paper-3.9b": BitNetConfig(32000, 3200, 8640, 32, 32, 32),
    # bitnet-b1.58-2B-4T: GQA, squared ReLU, tied embeddings, LLaMA-3 vocab.
    "bitnet-2b-4t": BitNetConfig(128256, 2560, 6912, 30, 20, 5, ffn="relu2",
                                 rope_theta=500000.0, tie_embeddings=True,
                                 max_position=4096),
    # A ~167M-parameter 2B-4T-style model (compile-time benchmark).
    "bitnet-170m": BitNetConfig(32000, 1024, 2816, 12, 16, 4, ffn="relu2",
                                rope_theta=500000.0, tie_embeddings=True,
                                max_position=4096),
    # Tiny models for tests, one per family.
    "tiny-swiglu": BitNetConfig(97, 64, 160, 2, 4, 4, max_position=64),
    "tiny-2b4t": BitNetConfig(97, 64, 160, 2, 4, 2, ffn="relu2",
                              rope_theta=500000.0, tie_embeddings=True,
                              max_position=64),
}
