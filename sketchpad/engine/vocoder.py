"""The mel vocoder: log-mel frames in, 44.1 kHz waveform out.

Its own model file (``kind: mel-vocoder``), trained apart from the latent
model, so a better vocoder improves every feature at once. Architecture as in
Vocos: a ConvNeXt stack at the STFT frame rate and an inverse-STFT head that
predicts a log-magnitude and a phase for every bin. Optionally a few
momentum Griffin-Lim iterations start from its phase
(``refine_iterations``), which makes the spectrum consistent. Their target
magnitude keeps part of the network's own fine structure (``refine_shape``):
0 is the mel's pseudo-inverse, which spreads each band's energy flat and so
blurs harmonics; 1 is the network's magnitude rescaled band by band to the
mel; between them, their geometric mean, matched to the mel again.

:class:`VocoderStage` is what the rest of the app calls: the neural vocoder
when its file loads, else the phase-gradient + fast Griffin-Lim fallback
(:mod:`sketchpad.engine.phase`) with a one-line notice.

Shapes: log-mels are (n_mels, frames) or (batch, n_mels, frames) with frames
centred on multiples of the hop (:func:`sketchpad.engine.features.log_mel`);
a mel of ``samples // hop + 1`` frames renders ``samples`` samples.
Thread use: one instance per worker at a time (the model lane serialises it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from sketchpad.engine.device import compute_device, falls_back_to_cpu, int8_inference_copy, native_bf16
from sketchpad.engine.features import SpectralConfig, SpectralSettings, stft
from sketchpad.engine.layers import ConvNeXtBlock
from sketchpad.engine.model_files import load_state_strict, read_model_folder, save_model_folder
from sketchpad.engine import phase as phase_tools
from sketchpad.errors import SketchpadError

VOCODER_KIND = "mel-vocoder"
DEFAULT_VOCODER = "sketch-vocoder"
CHUNK_FRAMES = 2048  # about 24 s per pass
CONTEXT_FRAMES = 48  # thrown away each side: wider than the receptive field (8 blocks x 3)
SILENT_MEL = 1e-12  # a mel band at the log floor, read as silence by the refinement


@dataclass(frozen=True)
class VocoderConfig(SpectralSettings):
    spectral: SpectralConfig = field(default_factory=SpectralConfig)
    dim: int = 320
    blocks: int = 8
    kernel_size: int = 7
    expansion: int = 3


class MelVocoderNet(nn.Module):
    """(B, n_mels, F) log-mel -> complex STFT (B, n_fft/2+1, F) -> waveform."""

    def __init__(self, config: VocoderConfig):
        super().__init__()
        c = config
        self.config = c
        self.stem = nn.Conv1d(c.spectral.n_mels, c.dim, c.kernel_size, padding=c.kernel_size // 2)
        self.stem_norm = nn.LayerNorm(c.dim)
        self.blocks = nn.Sequential(*[ConvNeXtBlock(c.dim, c.kernel_size, c.expansion)
                                      for _ in range(c.blocks)])
        self.norm = nn.LayerNorm(c.dim)
        self.head = nn.Linear(c.dim, 2 * (c.spectral.n_fft // 2 + 1))

    def spectrum(self, log_mel: torch.Tensor) -> torch.Tensor:
        x = self.stem(log_mel)
        x = self.stem_norm(x.transpose(1, 2)).transpose(1, 2)
        x = self.norm(self.blocks(x).transpose(1, 2))
        # float32 from here: exp, cos/sin and the inverse STFT need full precision under bf16 autocast.
        log_magnitude, phase = self.head(x).float().chunk(2, dim=-1)
        magnitude = torch.exp(log_magnitude.clamp(max=7.0))
        # cos and sin rather than polar(), which is not vectorised on the CPU (0.6 against 1.0 ms
        # for a 2 s one-shot, measured); frame-major, the layout the head writes
        return torch.complex(magnitude * torch.cos(phase), magnitude * torch.sin(phase)).transpose(1, 2)

    def waveform(self, spec: torch.Tensor, samples: int) -> torch.Tensor:
        # torch.istft's samples and gradients, at a third of its cost (phase_tools.inverse_stft)
        return phase_tools.inverse_stft(spec, self.config.spectral, samples)

    def forward(self, log_mel: torch.Tensor) -> torch.Tensor:
        """(B, n_mels, F) -> (B, (F - 1) * hop)."""
        return self.waveform(self.spectrum(log_mel), (log_mel.shape[-1] - 1) * self.config.spectral.hop_samples)


class Vocoder:
    """A trained :class:`MelVocoderNet` at run time: numpy in, numpy out, inference only."""

    def __init__(self, net: MelVocoderNet, *, name: str, info: dict, device: str | None = None,
                 refine_iterations: int | None = None, refine_shape: float | None = None):
        self.name = name
        self.info = info
        self.device = device or compute_device()
        self.net = net.to(self.device).eval()
        self.bf16 = native_bf16(self.device)
        self.config = net.config
        # int8 linear layers for drafts on the CPU where the config asks for it (see SoundModel)
        self.draft_net = (int8_inference_copy(self.net, self.device) if info.get("cpu_int8")
                          else self.net)
        self.refine_iterations = int(info.get("refine_iterations", 0) if refine_iterations is None
                                     else refine_iterations)
        self.refine_shape = float(info.get("refine_shape", 0.0) if refine_shape is None else refine_shape)
        if not 0.0 <= self.refine_shape <= 1.0:
            raise SketchpadError(f"Model '{name}': refine_shape must be within 0-1, not {self.refine_shape}.")

    @classmethod
    def load(cls, folder, device: str | None = None, refine_iterations: int | None = None,
             refine_shape: float | None = None) -> "Vocoder":
        info, tensors = read_model_folder(folder)
        name = info.get("name") or Path(folder).name
        if info.get("kind") != VOCODER_KIND:
            raise SketchpadError(f"Model '{name}' is a {info.get('kind')!r} model, not a {VOCODER_KIND}.")
        try:
            config = VocoderConfig.from_dict(info["architecture"])
        except (KeyError, TypeError, ValueError) as err:
            raise SketchpadError(f"Model '{name}': architecture settings are invalid ({err}).") from None
        net = MelVocoderNet(config)
        load_state_strict(net, tensors, name, prefix="net.")
        return cls(net, name=name, info=info, device=device, refine_iterations=refine_iterations,
                   refine_shape=refine_shape)

    def to_cpu(self) -> None:
        self.net.to("cpu")
        self.device = "cpu"
        self.bf16 = native_bf16("cpu")

    @falls_back_to_cpu
    def render(self, log_mel: np.ndarray, samples: int, refine: bool = True,
               fast: bool = False) -> np.ndarray:
        """Log-mel (n_mels, F) or (channels, n_mels, F) -> float32 (samples,) or (channels, samples).

        ``refine=False`` skips the Griffin-Lim refinement: the network alone, about 4x
        faster, for drafts and for decodes whose own error cancels (a file's edits with
        its residual added back, :mod:`sketchpad.engine.detail`). ``fast``: the network's
        int8 copy where the config asks for one (drafts only, see SoundModel).

        Long mels run in overlapping chunks whose overlaps are thrown away, so the
        network's output equals one pass with no seams; Griffin-Lim refinement runs
        per chunk (24 s), which differs from one pass only within the thrown-away
        context's reach.
        """
        mel = np.asarray(log_mel, np.float32)
        single = mel.ndim == 2
        mel = mel[None] if single else mel
        hop = self.config.spectral.hop_samples
        frames = mel.shape[-1]
        out = np.zeros((mel.shape[0], frames * hop), np.float32)
        with torch.inference_mode():
            for first, last, lo, hi in _frame_chunks(frames):
                x = torch.from_numpy(np.ascontiguousarray(mel[:, :, lo:hi])).to(self.device)
                net = self.draft_net if fast else self.net
                # bf16 only where the hardware has it (emulated, it runs about 8x slower);
                # the int8 copy takes float32. The head's outputs are float32 either way.
                with torch.autocast(torch.device(self.device).type, dtype=torch.bfloat16,
                                    enabled=self.bf16 and net is self.net):
                    spec = net.spectrum(x)
                wave = self.spectrum_to_wave(x, spec, (hi - lo) * hop, refine)
                out[:, first * hop: last * hop] = wave[:, (first - lo) * hop: (last - lo) * hop].cpu().numpy()
        out = out[:, :samples]
        if out.shape[1] < samples:
            out = np.pad(out, ((0, 0), (0, samples - out.shape[1])))
        return out[0] if single else out

    def spectrum_to_wave(self, log_mel: torch.Tensor, spec: torch.Tensor, samples: int,
                         refine: bool = True) -> torch.Tensor:
        """The network's complex ``spec`` (from ``log_mel``) as ``samples`` samples, refined
        towards ``log_mel`` by the stage's Griffin-Lim iterations unless ``refine`` is False."""
        wave = self.net.waveform(spec, samples)
        if self.refine_iterations <= 0 or not refine:
            return wave
        # Griffin-Lim from the phase of the vocoder's (consistent) output. Its raw head
        # magnitudes are no target (overlap-add of its phases cancels part of them); the
        # magnitude of what it actually wrote is.
        s = self.config.spectral
        start = stft(wave, s)  # zero-padded where too short to reflect (a one-sample file)
        frames = min(start.shape[-1], log_mel.shape[-1])
        # torch.stft's result is a transposed view of frame-major memory, the layout Griffin-Lim
        # works in (see phase_tools.griffin_lim_from), so it is not copied; the target's band
        # sums run about 2x faster on bins-major memory (measured), so its magnitude is.
        start, log_mel = start[..., :frames], log_mel[..., :frames].float().contiguous()
        written = (start * start.conj()).real.sqrt().contiguous()  # complex abs() is slow on the CPU
        target = self._refine_target(written, log_mel)
        return phase_tools.griffin_lim_from(start, target, s, samples, self.refine_iterations)

    def _refine_target(self, written: torch.Tensor, log_mel: torch.Tensor) -> torch.Tensor:
        s = self.config.spectral
        # The log-mel is clamped at the floor, so a value there means "this quiet or quieter":
        # read as silence. As a level, the refinement re-synthesised it as noise 50 dB under a
        # quiet sound's peak, which peak normalisation of generated sounds then lifted.
        log_mel = torch.log((torch.exp(log_mel) - s.log_floor).clamp_min(SILENT_MEL))
        flat = phase_tools.mel_to_magnitude(log_mel, s)
        if self.refine_shape <= 0.0:
            return flat
        shaped = phase_tools.match_mel(written, log_mel, s)
        if self.refine_shape < 1.0:
            w = self.refine_shape
            shaped = phase_tools.match_mel(flat.clamp_min(1e-7) ** (1.0 - w) * shaped.clamp_min(1e-7) ** w,
                                           log_mel, s)
        return shaped


def _frame_chunks(total: int):
    """(first, last, lo, hi): keep frames [first, last) of a pass over [lo, hi)."""
    if total <= CHUNK_FRAMES + 2 * CONTEXT_FRAMES:
        yield 0, total, 0, total
        return
    for first in range(0, total, CHUNK_FRAMES):
        last = min(total, first + CHUNK_FRAMES)
        yield first, last, max(0, first - CONTEXT_FRAMES), min(total, last + CONTEXT_FRAMES)


def save_vocoder(folder, net: MelVocoderNet, *, name: str, extra_config: dict | None = None,
                 half: bool = False) -> Path:
    """Write ``net`` as a model folder (float16 weights with ``half``: half the size)."""
    config = {"kind": VOCODER_KIND, "name": name, **(extra_config or {}),
              "architecture": net.config.to_dict()}
    tensors = {f"net.{k}": (v.half() if half and v.is_floating_point() else v)
               for k, v in net.state_dict().items()}
    return save_model_folder(folder, config, tensors)


class PhaseGradientVocoder:
    """The vocoder-free stage: phase-gradient start, then fast Griffin-Lim."""

    name = "phase-gradient + fast Griffin-Lim"

    def __init__(self, config: SpectralConfig = SpectralConfig(),
                 iterations: int = phase_tools.DEFAULT_ITERATIONS):
        self.config = config
        self.iterations = iterations

    def render(self, log_mel: np.ndarray, samples: int, refine: bool = True,
               fast: bool = False) -> np.ndarray:
        """As :meth:`Vocoder.render`; ``refine`` and ``fast`` are ignored: without a network, the
        Griffin-Lim iterations are the whole vocoder."""
        mel = np.asarray(log_mel, np.float32)
        if mel.ndim == 2:
            return phase_tools.mel_to_audio(mel, samples, self.config, self.iterations)
        return np.stack([phase_tools.mel_to_audio(m, samples, self.config, self.iterations) for m in mel])

    def to_cpu(self) -> None:
        pass


def load_vocoder_stage(name_or_path=None, *, device: str | None = None, notice=None):
    """The neural vocoder by name or folder, or the fallback when its file is missing or damaged.

    ``notice(line)`` gets one line when the fallback is used.
    """
    from sketchpad.engine.registry import find_model

    wanted = name_or_path or DEFAULT_VOCODER
    if wanted == "fallback":
        return PhaseGradientVocoder()
    try:
        return Vocoder.load(find_model(wanted), device=device)
    except SketchpadError as err:
        if notice is not None:
            notice(f"Vocoder unavailable ({err}); using phase-gradient + Griffin-Lim instead.")
        return PhaseGradientVocoder()
