"""The sound model at run time: encode audio to latents, decode latents to audio.

Float32 numpy in and out; torch stays inside. Inference only, under
``torch.inference_mode``, on CUDA when it works, else the CPU. Channels are
coded independently (a stereo file gives two latent sequences), and long
audio is processed in overlapping chunks whose overlaps are thrown away, so
a ten-minute song decodes to the same samples as one pass would, with no seams.

Thread use: one SoundModel per worker thread at a time (the model lane of the
worker pool serialises it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from sketchpad.engine.device import compute_device, falls_back_to_cpu, int8_inference_copy, native_bf16
from sketchpad.engine.directions import Direction, directions_from_files
from sketchpad.engine.model_files import load_state_strict, read_model_folder, save_model_folder
from sketchpad.engine.mel_vae import FIT_LEARNING_RATE, MelVAE, MelVAEConfig
from sketchpad.engine.vae import SoundVAE, VAEConfig
from sketchpad.errors import SketchpadError

MODEL_KIND = "sound-vae"  # v0: the decoder renders the waveform itself
MEL_MODEL_KIND = "mel-vae"  # v2: the decoder gives a log-mel, a vocoder stage renders it
_KINDS = {MODEL_KIND: (SoundVAE, VAEConfig), MEL_MODEL_KIND: (MelVAE, MelVAEConfig)}
SOUND_MODEL_KINDS = tuple(_KINDS)
CHUNK_LATENT_FRAMES = 1024  # about 24 s of audio per chunk at 43 latent frames/s
CONTEXT_LATENT_FRAMES = 32  # thrown away on each side: wider than the receptive field
END_CONTEXT_FRAMES = 2
"""Silence frames decoded after the last latent frame and thrown away. Without them the
decoder's edge (zero padding, which is not silence in this latent space) wrote a rise of
about 2 nats over the log floor into the last frames, which the Griffin-Lim refinement
rendered as a burst: up to -12 dB of a quiet generated sound's peak in its last 50 ms."""


class SoundModel:
    """``vae``: a SoundVAE (decodes to audio) or a MelVAE (decodes to a log-mel that
    ``vocoder``, a vocoder stage from :mod:`sketchpad.engine.vocoder`, renders)."""

    def __init__(self, vae: SoundVAE | MelVAE, *, name: str, config: dict, device: str | None = None,
                 vocoder=None):
        self.name = name
        self.info = config
        self.device = device or compute_device()
        self.vae = vae.to(self.device).eval()
        self.config: VAEConfig | MelVAEConfig = vae.config
        if isinstance(vae, MelVAE) and vocoder is None:
            raise ValueError("a mel model needs a vocoder stage")
        self.vocoder = vocoder
        self.notice: str | None = None  # one line for the user, e.g. that the fallback vocoder is in use
        self.extras: dict[str, np.ndarray] = {}
        self.directions: list[Direction] = []  # slider axes, see sketchpad.engine.directions
        self._silence: np.ndarray | None = None
        # The decoder in bfloat16 where the hardware computes it natively: on this project's
        # AMX CPU a 3-minute blend with Detail renders 1.4x faster, and round trips move by
        # 0.15 % of their MR-STFT distance (docs/sound-engine-v2.md).
        self.bf16_decode = native_bf16(self.device)
        # Drafts (``decode(fast=True)``) use int8 linear layers on the CPU where the config
        # asks for it (``cpu_int8``). Only drafts: int8 activations are scaled per batch,
        # so a decode would depend on what else is in its batch or chunk, and a file's
        # residual would no longer cancel at the ends of a blend.
        self.draft_decoder = self.vae.decoder
        if config.get("cpu_int8") and torch.device(self.device).type == "cpu":
            self.draft_decoder = int8_inference_copy(self.vae.decoder, self.device)

    # -- files ---------------------------------------------------------------------
    @classmethod
    def load(cls, folder, device: str | None = None, vocoder: str | None = None) -> "SoundModel":
        """A model folder; a mel model also loads its vocoder (``vocoder`` overrides the one
        its config names; "fallback" picks phase-gradient + Griffin-Lim)."""
        config, tensors = read_model_folder(folder)
        name = config.get("name") or Path(folder).name
        if config.get("kind") not in _KINDS:
            raise SketchpadError(f"Model '{name}' is a {config.get('kind')!r} model, "
                                 f"not a sound model ({', '.join(_KINDS)}).")
        net_class, config_class = _KINDS[config["kind"]]
        try:
            vae_config = config_class.from_dict(config["architecture"])
        except (KeyError, TypeError, ValueError) as err:
            raise SketchpadError(f"Model '{name}': architecture settings are invalid ({err}).") from None
        vae = net_class(vae_config)
        load_state_strict(vae, tensors, name, prefix="vae.")
        stage, notices = None, []
        if net_class is MelVAE:
            from sketchpad.engine.vocoder import load_vocoder_stage

            stage = load_vocoder_stage(vocoder or config.get("vocoder"), device=device,
                                       notice=notices.append)
        model = cls(vae, name=name, config=config, device=device, vocoder=stage)
        model.notice = notices[0] if notices else None
        model.extras = {k: v.numpy() for k, v in tensors.items() if not k.startswith("vae.")}
        model.directions = directions_from_files(config.get("directions", []), model.extras)
        return model

    def save(self, folder, *, extra_config: dict | None = None,
             extra_tensors: dict[str, np.ndarray] | None = None) -> Path:
        info = {k: v for k, v in self.info.items()
                if k not in ("format_version", "kind", "name", "architecture")}
        extras = extra_tensors if extra_tensors is not None else self.extras
        return save_sound_model(folder, self.vae, name=self.name,
                                extra_config={**info, **(extra_config or {})}, extra_tensors=extras)

    # -- properties ----------------------------------------------------------------
    @property
    def sample_rate(self) -> int:
        return self.config.spectral.sample_rate

    @property
    def samples_per_latent(self) -> int:
        return self.config.spectral.hop_samples * self.config.time_downsample

    @property
    def latent_channels(self) -> int:
        return self.config.latent_channels

    @property
    def refines(self) -> bool:
        """Whether ``decode(refine=False)`` is a faster draft of ``decode()``: the vocoder
        runs Griffin-Lim refinement after its network (v0.1 and the fallback do not)."""
        return self.vocoder is not None and getattr(self.vocoder, "refine_iterations", 0) > 0

    def latent_frames_for(self, samples: int) -> int:
        return max(1, -(-samples // self.samples_per_latent))

    def silence_frame(self) -> np.ndarray:
        """(latent_channels,) latent frame of digital silence, for padding sounds
        to a common length (zeros are not silence in this latent space). The encoder's,
        without the encode-time fit: the prompt generator was trained padded with it."""
        if self._silence is None:
            z = self.encode(np.zeros(self.samples_per_latent * 8, np.float32), fit_steps=0)
            self._silence = z[0, :, 4]  # a frame well inside the silent clip
        return self._silence

    def to_cpu(self) -> None:
        """Move to the CPU (after the GPU ran out of memory); results stay the same."""
        self.vae.to("cpu")
        if self.vocoder is not None:
            self.vocoder.to_cpu()
        self.device = "cpu"
        self.bf16_decode = native_bf16("cpu")

    # -- inference -------------------------------------------------------------------
    def fit_steps_for(self, samples: int) -> int:
        """Analysis-by-synthesis steps after the encoder (:meth:`MelVAE.fit_latents`) for a
        sound of ``samples`` frames, from the model's config (``encode_fit``): its ``steps``
        up to ``max_seconds``, none beyond (the fit's cost grows with length, and a song
        edited in the app keeps its own detail through the residual); 0 without it."""
        fit = self.info.get("encode_fit", {})
        if not isinstance(self.vae, MelVAE) or samples > fit.get("max_seconds", 0) * self.sample_rate:
            return 0
        return int(fit.get("steps", 0))

    @property
    def fit_learning_rate(self) -> float:
        return float(self.info.get("encode_fit", {}).get("learning_rate", FIT_LEARNING_RATE))

    @falls_back_to_cpu
    def encode(self, audio: np.ndarray, progress=None, fit_steps: int | None = None) -> np.ndarray:
        """Audio (frames,) or (frames, channels) float32 at 44.1 kHz ->
        latents float32 (channels, latent_channels, latent_frames): the posterior means,
        then ``fit_steps`` steps of analysis by synthesis (default: the model's own for
        this length, :meth:`fit_steps_for`).
        ``progress(fraction)`` is called after each chunk (about 24 s of audio) and, while
        fitting, after each step."""
        wave = _as_channels_first(audio)
        steps = self.fit_steps_for(wave.shape[1]) if fit_steps is None else fit_steps
        if steps and not isinstance(self.vae, MelVAE):
            raise ValueError("only a latent model over the mel fits its latents")
        rate = self.fit_learning_rate
        step = self.samples_per_latent
        total = self.latent_frames_for(wave.shape[1])
        padded = np.zeros((wave.shape[0], total * step), np.float32)
        padded[:, : wave.shape[1]] = wave
        out = np.empty((wave.shape[0], self.latent_channels, total), np.float32)
        with torch.inference_mode():  # the fit leaves it for its own steps
            for first, last, lo, hi in _chunks(total, CHUNK_LATENT_FRAMES, CONTEXT_LATENT_FRAMES):
                x = torch.from_numpy(padded[:, lo * step: hi * step]).to(self.device)
                if steps > 0:
                    mel = self.vae.features(x)
                    mean, _ = self.vae.encoder(mel)
                    on_step = None
                    if progress is not None:
                        def on_step(k, first=first, last=last):
                            progress((first + (last - first) * k / steps) / total)
                    mean = self.vae.fit_latents(mel, mean, steps, rate, bf16=self.bf16_decode,
                                                on_step=on_step)
                else:
                    mean, _ = self.vae.encode(x)
                out[:, :, first:last] = mean[:, :, first - lo: last - lo].float().cpu().numpy()
                if progress is not None:
                    progress(last / total)
        return out

    @falls_back_to_cpu
    def decode(self, latents: np.ndarray, frames: int | None = None, refine: bool = True,
               fast: bool = False) -> np.ndarray:
        """Latents (channels, latent_channels, L) or (latent_channels, L) ->
        audio float32 (frames, channels); ``frames`` trims to a known length.
        ``refine=False``: the vocoder stage without its Griffin-Lim refinement (see
        :meth:`sketchpad.engine.vocoder.Vocoder.render`); v0.1 models ignore it.
        ``fast``: the int8 layers where the model has them (drafts only: see __init__)."""
        z = np.asarray(latents, np.float32)
        if z.ndim == 2:
            z = z[None]
        if z.ndim != 3 or z.shape[1] != self.latent_channels:
            raise ValueError(f"latents must be (channels, {self.latent_channels}, frames), "
                             f"got {z.shape}")
        total = z.shape[2]
        z = self._with_end_context(z)
        out = np.empty((z.shape[0], z.shape[2] * self.samples_per_latent), np.float32)
        with torch.inference_mode():
            for first, last, lo, hi in _chunks(z.shape[2], CHUNK_LATENT_FRAMES, CONTEXT_LATENT_FRAMES):
                self._decode_pass(z, first, last, lo, hi, out[:, first * self.samples_per_latent:],
                                  refine, fast)
        audio = out[:, : total * self.samples_per_latent].T
        if frames is not None:
            audio = audio[:frames]
        return np.ascontiguousarray(audio)

    @falls_back_to_cpu
    def decode_span(self, latents: np.ndarray, first: int, last: int, refine: bool = True) -> np.ndarray:
        """Audio of latent frames [first, last) of ``latents`` (channels, latent_channels, L):
        float32 (channels, (last - first) * samples_per_latent), the same samples the whole
        decode gives there, so a song can be decoded piece by piece ahead of the playhead."""
        total = latents.shape[2]
        if not 0 <= first < last <= total:
            raise ValueError(f"span [{first}, {last}) is outside 0..{total}")
        out = np.empty((latents.shape[0], (last - first) * self.samples_per_latent), np.float32)
        lo = max(0, first - CONTEXT_LATENT_FRAMES)
        window = np.asarray(latents[:, :, lo:min(total, last + CONTEXT_LATENT_FRAMES)], np.float32)
        if last + CONTEXT_LATENT_FRAMES >= total:  # the end's context, as the whole decode has it
            window = self._with_end_context(window)
        with torch.inference_mode():
            self._decode_pass(window, first - lo, last - lo, 0, window.shape[2], out, refine)
        return out

    def _with_end_context(self, z: np.ndarray) -> np.ndarray:
        """(channels, C, L) ``z`` followed by :data:`END_CONTEXT_FRAMES` silence frames."""
        silence = np.broadcast_to(self.silence_frame()[None, :, None].astype(np.float32),
                                  (z.shape[0], z.shape[1], END_CONTEXT_FRAMES))
        return np.concatenate([z, silence], axis=2)

    def _decode_pass(self, z, first, last, lo, hi, out, refine: bool = True, fast: bool = False) -> None:
        """Decode frames [lo, hi) and write the samples of [first, last) to the start of ``out``."""
        step = self.samples_per_latent
        x = torch.from_numpy(np.ascontiguousarray(z[:, :, lo:hi])).to(self.device)
        decoder = self.draft_decoder if fast else self.vae.decoder
        bf16 = self.bf16_decode and decoder is self.vae.decoder  # int8 layers take float32
        with torch.autocast(torch.device(self.device).type, dtype=torch.bfloat16, enabled=bf16):
            decoded = decoder(x)
        if self.vocoder is None:
            wave = decoded.float().cpu().numpy()
        else:
            wave = self.vocoder.render(decoded.float().cpu().numpy(), (hi - lo) * step, refine, fast)
        out[:, : (last - first) * step] = wave[:, (first - lo) * step: (last - lo) * step]

    def reconstruct(self, audio: np.ndarray, fit_steps: int | None = None) -> np.ndarray:
        """A round trip through encoder and decoder, same shape as ``audio``
        (``fit_steps``: see :meth:`encode`)."""
        audio = np.asarray(audio, np.float32)
        out = self.decode(self.encode(audio, fit_steps=fit_steps), frames=audio.shape[0])
        return out[:, 0] if audio.ndim == 1 else out


def save_sound_model(folder, vae: SoundVAE | MelVAE, *, name: str, extra_config: dict | None = None,
                     extra_tensors: dict[str, np.ndarray] | None = None) -> Path:
    """Write ``vae`` (on any device) as a model folder; extra tensors keep their names."""
    kind = MEL_MODEL_KIND if isinstance(vae, MelVAE) else MODEL_KIND
    config = {"kind": kind, "name": name, **(extra_config or {}),
              "architecture": vae.config.to_dict()}
    tensors = {f"vae.{k}": v for k, v in vae.state_dict().items()}
    for key, value in (extra_tensors or {}).items():
        tensors[key] = torch.as_tensor(np.ascontiguousarray(value))
    return save_model_folder(folder, config, tensors)


def _as_channels_first(audio: np.ndarray) -> np.ndarray:
    a = np.asarray(audio, np.float32)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2 or a.shape[0] == 0:
        raise ValueError(f"audio must be (frames,) or (frames, channels), got {a.shape}")
    return np.ascontiguousarray(np.nan_to_num(a.T, nan=0.0, posinf=0.0, neginf=0.0))


def _chunks(total: int, size: int, context: int):
    """(first, last, lo, hi): keep latent frames [first, last) of a pass over [lo, hi)."""
    if total <= size + 2 * context:
        yield 0, total, 0, total
        return
    for first in range(0, total, size):
        last = min(total, first + size)
        yield first, last, max(0, first - context), min(total, last + context)
