"""The vocoder-free path: phase-gradient start and fast Griffin-Lim."""

import numpy as np
import torch

from sketchpad.engine.features import SpectralConfig, stft
from sketchpad.engine.phase import (audio_mel, fast_griffin_lim, griffin_lim_from, magnitude_to_audio, match_mel,
                                    mel_to_audio, mel_to_magnitude, phase_gradient_phase)
from sketchpad_measure.quality.metrics import multi_resolution_stft_distance

CONFIG = SpectralConfig()
RATE = CONFIG.sample_rate


def _harmonic_with_clicks(seconds=1.0):
    t = np.arange(int(RATE * seconds)) / RATE
    tone = sum(0.3 / k * np.sin(2 * np.pi * 220 * k * t) for k in range(1, 9)) * np.exp(-2 * t)
    tone[::RATE // 4] += 0.8
    return tone.astype(np.float32)


def _spec(wave):
    """torch.stft as the engine takes it (centred, Hann, reflect- or zero-padded)."""
    return stft(torch.as_tensor(wave), CONFIG)


def _magnitude(wave):
    return _spec(wave).abs().numpy()


def test_phase_gradient_start_beats_zero_phase():
    wave = _harmonic_with_clicks()
    magnitude = _magnitude(wave)
    phase = phase_gradient_phase(magnitude, CONFIG)
    assert phase.shape == magnitude.shape and phase.dtype == np.float32
    with torch.inference_mode():
        from_gradient = fast_griffin_lim(torch.from_numpy(magnitude), torch.from_numpy(phase),
                                         CONFIG, len(wave), iterations=0).numpy()
        from_zero = fast_griffin_lim(torch.from_numpy(magnitude), torch.zeros(magnitude.shape),
                                     CONFIG, len(wave), iterations=0).numpy()
    gradient_distance = multi_resolution_stft_distance(wave, from_gradient)
    # No iteration at all: the integrated phase alone is already far closer.
    assert gradient_distance < 0.5 * multi_resolution_stft_distance(wave, from_zero)


def test_iterations_improve_and_keep_length():
    wave = _harmonic_with_clicks(0.7)
    magnitude = _magnitude(wave)
    few = magnitude_to_audio(magnitude, len(wave), CONFIG, iterations=2)
    many = magnitude_to_audio(magnitude, len(wave), CONFIG, iterations=24)
    assert few.shape == many.shape == wave.shape
    assert multi_resolution_stft_distance(wave, many) < multi_resolution_stft_distance(wave, few)


def test_mel_path_handles_silence_and_tiny_input():
    silence = np.zeros(RATE // 2, np.float32)
    out = mel_to_audio(audio_mel(silence, CONFIG), len(silence), CONFIG, iterations=4)
    assert out.shape == silence.shape and np.all(np.isfinite(out)) and np.max(np.abs(out)) < 1e-3
    tiny = np.full(10, 0.5, np.float32)
    out = mel_to_audio(audio_mel(tiny, CONFIG), len(tiny), CONFIG, iterations=2)
    assert out.shape == (10,) and np.all(np.isfinite(out))


def test_griffin_lim_inverse_equals_torch_istft():
    # iterations=0 is one inverse STFT: the block overlap-add must give torch.istft's samples,
    # batched or not.
    wave = _harmonic_with_clicks(0.4)
    window = torch.hann_window(CONFIG.n_fft)
    spec = _spec(wave)
    work = (spec.shape[-1] - 1) * CONFIG.hop_samples
    expected = torch.istft(spec, CONFIG.n_fft, CONFIG.hop_samples, window=window, length=work)
    ours = fast_griffin_lim(spec.abs(), spec.angle(), CONFIG, work, iterations=0)
    assert torch.max(torch.abs(ours - expected)) < 1e-5
    batched = fast_griffin_lim(torch.stack([spec.abs()] * 2), torch.stack([spec.angle()] * 2),
                               CONFIG, work, iterations=0)
    assert batched.shape == (2, work) and torch.max(torch.abs(batched[1] - expected)) < 1e-5


def test_frame_major_stft_equals_torch_stft():
    # Griffin-Lim's own STFT: the same numbers as torch.stft, frames first, for a sound long
    # enough to reflect at its ends and for one too short to (zero-padded).
    from sketchpad.engine.phase import _FrameMajorSTFT

    for wave in (_harmonic_with_clicks(0.3), _harmonic_with_clicks(0.01)):
        wave = torch.from_numpy(wave)[None]
        frames = wave.shape[-1] // CONFIG.hop_samples + 1
        expected = _spec(wave)
        ours = _FrameMajorSTFT(CONFIG, frames, wave.shape[-1], torch.float32, "cpu").forward(wave)
        assert ours.shape == (1, frames, CONFIG.n_fft // 2 + 1)
        assert torch.max(torch.abs(ours.transpose(-1, -2) - expected)) < 1e-4


def test_griffin_lim_from_a_spectrum_follows_its_phase_not_its_magnitude():
    wave = _harmonic_with_clicks(0.3)
    spec = _spec(wave)
    work = (spec.shape[-1] - 1) * CONFIG.hop_samples
    target = spec.abs() * 0.5
    from_phase = fast_griffin_lim(target, spec.angle(), CONFIG, work, iterations=3)
    from_spectrum = griffin_lim_from(spec * 3.0, target, CONFIG, work, iterations=3)
    assert torch.max(torch.abs(from_spectrum - from_phase)) < 1e-5
    # a consistent start is a fixed point: away from the cut end, one step gives the wave back
    one_step = griffin_lim_from(spec * 3.0, target, CONFIG, work, iterations=1)
    assert torch.allclose(one_step[:-2048], 0.5 * torch.from_numpy(wave[:work - 2048]), atol=1e-5)


def test_mel_to_magnitude_tensor_matches_numpy():
    log_mel = audio_mel(_harmonic_with_clicks(0.3), CONFIG)
    expected = mel_to_magnitude(log_mel, CONFIG)
    ours = mel_to_magnitude(torch.from_numpy(log_mel)[None], CONFIG)
    assert isinstance(ours, torch.Tensor) and ours.shape == (1, *expected.shape)
    assert np.max(np.abs(ours[0].numpy() - expected)) < 1e-5 * expected.max()


def test_inverse_stft_equals_torch_istft_at_any_length():
    from sketchpad.engine.phase import inverse_stft

    window = torch.hann_window(CONFIG.n_fft)
    wave = torch.from_numpy(np.stack([_harmonic_with_clicks(0.2), _harmonic_with_clicks(0.2)[::-1].copy()]))
    spec = _spec(wave)
    frames = spec.shape[-1]
    for length in (100, (frames - 1) * CONFIG.hop_samples, frames * CONFIG.hop_samples, wave.shape[-1]):
        expected = torch.istft(spec, CONFIG.n_fft, CONFIG.hop_samples, window=window, length=length)
        ours = inverse_stft(spec, CONFIG, length)
        assert ours.shape == expected.shape and torch.max(torch.abs(ours - expected)) < 1e-5
    # past what torch.istft can give, zeros
    longer = inverse_stft(spec, CONFIG, (frames + 6) * CONFIG.hop_samples)
    assert torch.all(longer[:, (frames + 2) * CONFIG.hop_samples:] == 0)


def test_inverse_stft_passes_torch_istft_gradients():
    # the vocoder trains through it (MelVocoderNet.waveform)
    from sketchpad.engine.phase import inverse_stft

    torch.manual_seed(0)
    spec = torch.randn(2, CONFIG.n_fft // 2 + 1, 12, dtype=torch.complex64, requires_grad=True)
    length, weights = 11 * CONFIG.hop_samples, torch.randn(2, 11 * CONFIG.hop_samples)
    expected = torch.istft(spec, CONFIG.n_fft, CONFIG.hop_samples, window=torch.hann_window(CONFIG.n_fft),
                           length=length)
    (expected_grad,) = torch.autograd.grad((expected * weights).sum(), spec)
    (ours_grad,) = torch.autograd.grad((inverse_stft(spec, CONFIG, length) * weights).sum(), spec)
    assert torch.max(torch.abs(ours_grad - expected_grad)) < 1e-6


def test_match_mel_reaches_the_mel_and_keeps_harmonic_peaks():
    wave = _harmonic_with_clicks(0.5)
    magnitude = torch.from_numpy(_magnitude(wave))
    wanted = torch.from_numpy(audio_mel(wave * 0.25, CONFIG))[:, :magnitude.shape[-1]]
    matched = match_mel(magnitude, wanted, CONFIG)
    from sketchpad.engine.features import mel_basis
    got = torch.log((mel_basis(CONFIG) @ matched).clamp_min(CONFIG.log_floor))
    loud = wanted > wanted.max() - 6.0
    assert torch.max(torch.abs(got - wanted)[loud]) < 0.02
    # a quarter of the level, same shape: the harmonic at 220 Hz stays a peak over its neighbours
    bin_220 = round(220 * CONFIG.n_fft / RATE)
    frame = matched[:, 10]
    assert frame[bin_220] > 4 * frame[bin_220 + 5]
    # the exact answer is the magnitude at a quarter of the level
    strong = magnitude[:, 10] > 0.1 * magnitude[:, 10].max()
    assert torch.allclose(frame[strong] / magnitude[strong, 10], torch.tensor(0.25), rtol=0.05)


def test_griffin_lim_in_row_groups_gives_each_row_its_own_answer(monkeypatch):
    import sketchpad.engine.phase as phase

    waves = [_harmonic_with_clicks(0.3), 0.5 * _harmonic_with_clicks(0.3)[::-1].copy(),
             np.random.default_rng(0).standard_normal(int(RATE * 0.3)).astype(np.float32) * 0.1]
    magnitude = torch.from_numpy(np.stack([_magnitude(w) for w in waves])).reshape(3, 1, 1025, -1)
    phase0 = torch.zeros_like(magnitude)
    work = (magnitude.shape[-1] - 1) * CONFIG.hop_samples
    alone = [fast_griffin_lim(magnitude[i, 0], phase0[i, 0], CONFIG, work, iterations=4) for i in range(3)]
    monkeypatch.setattr(phase, "GROUP_BINS", 2 * magnitude.shape[-2] * magnitude.shape[-1])  # pairs
    grouped = fast_griffin_lim(magnitude, phase0, CONFIG, work, iterations=4)
    assert grouped.shape == (3, 1, work)
    for i in range(3):
        assert torch.max(torch.abs(grouped[i, 0] - alone[i])) < 1e-5


def test_mel_band_pairs_equal_the_dense_filterbank():
    from sketchpad.engine.features import mel_basis
    from sketchpad.engine.phase import _band_pairs

    magnitude = torch.rand(2, 1025, 7) ** 3
    bands = _band_pairs(CONFIG, "cpu")
    dense = mel_basis(CONFIG).float()
    assert torch.allclose(bands.mel(magnitude), dense @ magnitude, rtol=1e-5, atol=1e-7)
    per_band = torch.rand(2, dense.shape[0], 7)
    spread = dense.T / dense.sum(0).clamp_min(1e-12)[:, None]
    assert torch.allclose(bands.spread(per_band), spread @ per_band, rtol=1e-5, atol=1e-7)
