import numpy as np
import pytest

from sketchpad.jobs import Job, JobCancelled, JobContext
from sketchpad.engine.progressive import (FADE_SAMPLES, FIRST_PIECE_LATENT_FRAMES,
                                          MAX_PIECE_LATENT_FRAMES, ProgressiveRender, piece_spans)

rng = np.random.default_rng(3)


def _latents(model, channels, frames):
    return rng.standard_normal((channels, model.latent_channels, frames)).astype(np.float32)


@pytest.mark.parametrize("total, start", [(1, 0), (50, 0), (700, 333), (3000, 2999)])
def test_pieces_cover_everything_once_from_the_start_frame(total, start):
    spans = piece_spans(total, start)
    covered = np.zeros(total, int)
    for first, last in spans:
        covered[first:last] += 1
    assert (covered == 1).all()
    assert spans[0][0] == start and spans[0][1] - start <= FIRST_PIECE_LATENT_FRAMES
    assert max(last - first for first, last in spans) <= MAX_PIECE_LATENT_FRAMES


def test_decode_span_gives_the_samples_of_the_whole_decode(tiny_model):
    z = _latents(tiny_model, 2, 1500)  # longer than one decode chunk: context matters
    whole = tiny_model.decode(z)
    step = tiny_model.samples_per_latent
    for first, last in [(0, 12), (700, 1100), (1490, 1500)]:
        piece = tiny_model.decode_span(z, first, last)
        np.testing.assert_allclose(piece.T, whole[first * step: last * step], atol=1e-5)
    with pytest.raises(ValueError):
        tiny_model.decode_span(z, 10, 10)


def test_render_from_any_playhead_matches_a_whole_decode(tiny_model):
    z = _latents(tiny_model, 1, 300)  # mono latents fill both playback channels
    frames = 300 * tiny_model.samples_per_latent - 100
    whole = tiny_model.decode(z, frames=frames)[:, 0]
    render = ProgressiveRender(frames, tiny_model.samples_per_latent)
    pieces = []
    render.render(tiny_model, z, start_sample=123_456, on_piece=lambda lo, hi: pieces.append((lo, hi)))
    assert render.done.all() and render.fraction_done == 1.0
    assert pieces[0][0] <= 123_456 < pieces[0][1]  # the first piece is the one under the playhead
    np.testing.assert_allclose(render.view[:, 0], whole, atol=1e-5)
    np.testing.assert_array_equal(render.view[:, 0], render.view[:, 1])
    assert not render.view.flags.writeable


def test_a_rerender_crossfades_into_the_old_one_and_then_plays_the_new(tiny_model):
    step = tiny_model.samples_per_latent
    old_z, new_z = _latents(tiny_model, 2, 200), _latents(tiny_model, 2, 200)
    frames = 200 * step
    render = ProgressiveRender(frames, step)
    render.render(tiny_model, old_z)
    old = render.copy()
    start = 50 * step
    render.render(tiny_model, new_z, start_sample=start)
    new = tiny_model.decode(new_z, frames=frames)
    ramp = np.linspace(0, 1, FADE_SAMPLES, dtype=np.float32)[:, None]
    np.testing.assert_allclose(render.view[start: start + FADE_SAMPLES],
                               old[start: start + FADE_SAMPLES] * (1 - ramp)
                               + new[start: start + FADE_SAMPLES] * ramp, atol=1e-5)
    np.testing.assert_allclose(render.view[start + FADE_SAMPLES:], new[start + FADE_SAMPLES:], atol=1e-5)
    np.testing.assert_allclose(render.view[:start], new[:start], atol=1e-5)  # wrapped round


def test_a_cancelled_render_stops_after_the_piece_in_hand(tiny_model):
    z = _latents(tiny_model, 2, 400)
    render = ProgressiveRender(400 * tiny_model.samples_per_latent, tiny_model.samples_per_latent)
    job = Job("blend-render", fn=None)
    job.on_progress = lambda fraction, text: job.cancel()  # cancelled as soon as one piece is in
    with pytest.raises(JobCancelled):
        render.render(tiny_model, z, ctx=JobContext(job))
    assert render.done.sum() == FIRST_PIECE_LATENT_FRAMES
