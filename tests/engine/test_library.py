"""Library import, its cache, map layouts and the map expanders, on real files."""

import os

import numpy as np
import pytest

from sketchpad.jobs import Job, JobCancelled, JobContext
from sketchpad.engine import expanders, projection
from sketchpad.engine.library import index_folder
from sketchpad.engine.text import shared_text_encoder
from tests.sample_library import make_sample_library


@pytest.fixture(scope="module")
def text_encoder():
    return shared_text_encoder()


def test_import_analyses_each_file_once_and_reports_junk(tmp_path, tiny_model, text_encoder):
    facts = make_sample_library(tmp_path / "lib")
    cache = tmp_path / "cache"
    library, summary = index_folder(tmp_path / "lib", tiny_model, text_encoder, cache_root=cache)
    assert len(library) == facts["sounds"] == summary.analysed
    assert {rel for rel, _ in summary.skipped} == facts["junk"]
    reasons = dict(summary.skipped)
    assert reasons["silence.wav"] == "silent" and reasons["dangling.flac"] == "broken link"
    assert "broken.wav" in reasons["broken.wav"]  # the loader's one-line message
    assert {s.category for s in library.sounds} == {"Kicks", "Hats", "Keys"}
    assert any("ünïcode" in s.caption for s in library.sounds)
    assert library.features.shape == (len(library), 3 * tiny_model.latent_channels)
    assert library.embeddings.shape == (len(library), 384)

    # Second import: nothing analysed again; a touched file and a new file are.
    again, summary = index_folder(tmp_path / "lib", tiny_model, text_encoder, cache_root=cache)
    assert summary.analysed == 0 and summary.reused == len(library)
    np.testing.assert_allclose(again.latents[0], library.latents[0], atol=2e-3)  # float16 cache
    touched = tmp_path / "lib" / "Kicks" / "kick 00.wav"
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9))
    (tmp_path / "lib" / "Hats" / "hat 05.flac").rename(tmp_path / "lib" / "Hats" / "hat 99.flac")
    _, summary = index_folder(tmp_path / "lib", tiny_model, text_encoder, cache_root=cache)
    assert summary.analysed == 2 and summary.reused == len(library) - 2


def test_cancelled_import_keeps_finished_files(tmp_path, tiny_model, text_encoder):
    make_sample_library(tmp_path / "lib")
    job = Job(kind="import", fn=None)
    seen = []

    def progress(fraction, text):
        seen.append(fraction)
        if len(seen) == 2:
            job.cancel()  # after the first ten files

    job.on_progress = progress
    with pytest.raises(JobCancelled):
        index_folder(tmp_path / "lib", tiny_model, text_encoder, ctx=JobContext(job),
                     cache_root=tmp_path / "cache")
    _, summary = index_folder(tmp_path / "lib", tiny_model, text_encoder,
                              cache_root=tmp_path / "cache")
    assert summary.reused >= 10 and summary.analysed > 0


def test_search_and_nearest(tmp_path, tiny_model, text_encoder):
    make_sample_library(tmp_path / "lib")
    library, _ = index_folder(tmp_path / "lib", tiny_model, text_encoder, cache_root=tmp_path / "c")
    best = library.search(text_encoder.embed(["hat"])[0], "hat", count=6)
    assert all(library.sounds[i].category == "Hats" for i in best)
    near = library.nearest(0, 5)
    assert 0 not in near and len(set(near)) == 5


def test_projection_choice_prefers_the_layout_that_keeps_neighbours():
    rng = np.random.default_rng(0)
    # Points on a 3D spiral: PCA squashes the turns together, t-SNE/UMAP unroll them.
    t = np.sort(rng.uniform(0, 4 * np.pi, 300))
    points = np.stack([np.cos(t) * t, np.sin(t) * t, rng.normal(0, 0.1, 300) + 3 * t], 1)
    choice = projection.choose_projection(points, methods=("pca", "tsne"))
    assert set(choice.scores) == {"pca", "tsne"}
    assert choice.method == max(choice.scores, key=lambda m: choice.scores[m]["preservation"])
    coords = projection.project(points, "pca")
    assert coords.shape == (300, 2) and np.abs(coords).max() == pytest.approx(1.0)
    same = projection.neighbour_preservation(points, points[:, :2] * 0 + points[:, [0, 2]])
    assert 0 <= same <= 1
    assert projection.neighbour_preservation(points, points) == 1.0


def test_kmeans_elbow_finds_separated_clusters():
    rng = np.random.default_rng(1)
    centres = rng.normal(0, 20, (4, 6))
    points = np.concatenate([c + rng.normal(0, 0.5, (50, 6)) for c in centres])
    labels, k = projection.kmeans_elbow(points)
    assert k == 4
    assert len(set(labels[:50])) == 1 and len(set(labels)) == 4


def test_expanders_weights_and_anchor_points():
    rng = np.random.default_rng(2)
    features = rng.normal(0, 1, (40, 12))
    coords = projection.project(features, "pca")
    for method in expanders.EXPANDERS:
        anchors, weights = expanders.expand(method, coords[3], coords, features)
        assert weights.sum() == pytest.approx(1.0)
        if method in ("nearest", "idw"):  # on an anchor, these give that anchor back
            assert anchors[0] == 3 and weights[0] == pytest.approx(1.0, abs=1e-6)
    anchors, weights = expanders.expand("mean", (0.0, 0.0), coords, features)
    assert np.allclose(weights, 1 / len(anchors))


def test_multilateration_keeps_map_distances_better_than_idw():
    rng = np.random.default_rng(3)
    features = rng.normal(0, 1, (200, 8))
    coords = projection.project(features, "pca")
    errors = {"multilateration": [], "idw": []}
    for _ in range(50):
        point = coords[rng.integers(200)] * 0.5 + coords[rng.integers(200)] * 0.5
        for method in errors:
            anchors, weights = expanders.expand(method, point, coords, features)
            errors[method].append(expanders.distance_error(point, anchors, weights, coords,
                                                           features))
    assert np.median(errors["multilateration"]) < np.median(errors["idw"])


def test_combine_latents_pads_with_silence():
    silence = np.full(4, -3.0, np.float32)
    a, b = np.ones((4, 10), np.float32), np.zeros((4, 30), np.float32)
    z = expanders.combine_latents([a, b], np.array([0.5, 0.5]), silence)
    assert z.shape == (4, 20)
    assert np.allclose(z[:, :10], 0.5) and np.allclose(z[:, 15], -1.5)
    assert np.array_equal(expanders.combine_latents([a, b], np.array([1.0, 0.0]), silence), a)
