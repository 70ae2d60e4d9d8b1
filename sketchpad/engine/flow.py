"""The generator engine: text-conditioned flow matching over one-shot latents.

A one-shot's latents (16 channels x 87 frames, 2 s, padded with the sound
model's silence frame) are projected onto the top principal components of
the training one-shots (256 numbers keep all but 0.1 % of their variance;
decoding the projection back differs from decoding the original by an
MR-STFT distance of 0.02, against the codec's own 0.8). A residual MLP then
learns the velocity field of a rectified flow from Gaussian noise to those
coefficients, conditioned on the prompt's MiniLM embedding, the note and the
velocity. Generation integrates the field with a few Euler steps and
classifier-free guidance (text dropped), so eight results cost a few
milliseconds before decoding.

Model folder (``<sound model>-flow``): config.json (kind ``flow-generator``,
``architecture`` and ``latent`` settings) and weights.safetensors holding the
network (``net.*``) plus ``basis`` (K, C*T), ``mean`` (C*T,) and ``scale`` (K,).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from sketchpad.engine.device import falls_back_to_cpu
from sketchpad.engine.model_files import ModelFileError, load_state_strict, read_model_folder
from sketchpad.errors import SketchpadError

FLOW_KIND = "flow-generator"
NOTE_GRID = (24, 4)  # training notes: every 4 semitones from C1 (see the dataset builder)
VELOCITIES = {"soft": 40, "medium": 80, "hard": 120}


@dataclass(frozen=True)
class FlowConfig:
    components: int = 256
    width: int = 512
    hidden: int = 1024
    blocks: int = 4
    cond: int = 256
    text: int = 384

    @classmethod
    def from_dict(cls, data: dict) -> "FlowConfig":
        config = cls(**data)
        if min(asdict(config).values()) <= 0:
            raise ValueError("sizes must be positive")
        return config


def _time_features(t: torch.Tensor, size: int = 64) -> torch.Tensor:
    freqs = torch.exp(torch.linspace(0, math.log(1000.0), size // 2, device=t.device))
    angles = t[:, None] * freqs[None] * math.pi
    return torch.cat([angles.sin(), angles.cos()], dim=1)


class _Block(nn.Module):
    """Pre-norm residual MLP whose norm is modulated (scale, shift, gate) by the condition."""

    def __init__(self, width: int, hidden: int, cond: int):
        super().__init__()
        self.norm = nn.LayerNorm(width, elementwise_affine=False)
        self.mod = nn.Linear(cond, 3 * width)
        nn.init.zeros_(self.mod.weight)
        nn.init.zeros_(self.mod.bias)
        self.mlp = nn.Sequential(nn.Linear(width, hidden), nn.SiLU(), nn.Linear(hidden, width))

    def forward(self, h, c):
        scale, shift, gate = self.mod(c).chunk(3, dim=1)
        return h + gate.add(1.0) * self.mlp(self.norm(h) * (1 + scale) + shift)


class FlowNet(nn.Module):
    """v(x_t, t | text, note, velocity). ``note`` and ``velocity`` are (B, 2): value and present-flag."""

    def __init__(self, config: FlowConfig):
        super().__init__()
        self.config = config
        self.inp = nn.Linear(config.components, config.width)
        self.time = nn.Sequential(nn.Linear(64, config.cond), nn.SiLU(), nn.Linear(config.cond, config.cond))
        self.text = nn.Linear(config.text, config.cond)
        self.null_text = nn.Parameter(torch.zeros(config.text))
        self.note = nn.Linear(2, config.cond)
        self.velocity = nn.Linear(2, config.cond)
        self.blocks = nn.ModuleList(_Block(config.width, config.hidden, config.cond)
                                    for _ in range(config.blocks))
        self.out_norm = nn.LayerNorm(config.width)
        self.out = nn.Linear(config.width, config.components)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x, t, text, text_present, note, velocity):
        text = torch.where(text_present[:, None], text, self.null_text[None].expand_as(text))
        c = self.time(_time_features(t)) + self.text(text) + self.note(note) + self.velocity(velocity)
        c = nn.functional.silu(c)
        h = self.inp(x)
        for block in self.blocks:
            h = block(h, c)
        return self.out(self.out_norm(h))


def note_features(notes) -> np.ndarray:
    """(B, 2) float32: (note - 60) / 24 and 1 where a note is given (None or < 0: absent)."""
    out = np.zeros((len(notes), 2), np.float32)
    for i, note in enumerate(notes):
        if note is not None and note >= 0:
            out[i] = ((note - 60) / 24.0, 1.0)
    return out


def velocity_features(velocities) -> np.ndarray:
    """(B, 2) float32: (velocity - 80) / 40 and 1 where a velocity is given."""
    out = np.zeros((len(velocities), 2), np.float32)
    for i, velocity in enumerate(velocities):
        if velocity is not None and velocity > 0:
            out[i] = ((velocity - 80) / 40.0, 1.0)
    return out


def nearest_trained_note(note: int) -> int:
    """The closest note the generator was trained on; the rest is transposed (at most 2 semitones)."""
    first, step = NOTE_GRID
    return int(min(max(first + step * round((note - first) / step), first), 108))


class LatentProjection:
    """Fixed-length one-shot latents <-> scaled principal-component coefficients."""

    def __init__(self, basis: np.ndarray, mean: np.ndarray, scale: np.ndarray,
                 channels: int, frames: int):
        self.basis = np.asarray(basis, np.float32)
        self.mean = np.asarray(mean, np.float32)
        self.scale = np.asarray(scale, np.float32)
        self.channels, self.frames = channels, frames
        if self.basis.shape != (len(self.scale), channels * frames) or self.mean.shape != (channels * frames,):
            raise ModelFileError(f"Flow generator: projection shapes {self.basis.shape}, "
                                 f"{self.mean.shape} do not match {channels} x {frames} latents.")

    def to_coefficients(self, latents: np.ndarray) -> np.ndarray:
        """(B, C, T) -> (B, K)."""
        flat = latents.reshape(len(latents), -1) - self.mean
        return (flat @ self.basis.T) / self.scale

    def to_latents(self, coefficients: np.ndarray) -> np.ndarray:
        """(B, K) -> (B, C, T)."""
        flat = (coefficients * self.scale) @ self.basis + self.mean
        return flat.reshape(len(coefficients), self.channels, self.frames).astype(np.float32)

    def fit_frames(self, latents: np.ndarray, silence: np.ndarray) -> np.ndarray:
        """(B, C, L) -> (B, C, frames): cut, or padded with the silence frame."""
        from sketchpad.engine.latent_frames import fit_frames

        return fit_frames(latents, self.frames, silence).astype(np.float32)


class FlowGenerator:
    """The network and its projection; samples coefficients for a batch of conditions."""

    def __init__(self, net: FlowNet, projection: LatentProjection, info: dict, device: str = "cpu"):
        self.net = net.to(device).eval()
        self.projection = projection
        self.info = info
        self.device = device

    @classmethod
    def load(cls, folder, device: str = "cpu") -> "FlowGenerator":
        config, tensors = read_model_folder(folder)
        name = config.get("name") or str(folder)
        if config.get("kind") != FLOW_KIND:
            raise SketchpadError(f"Model '{name}' is a {config.get('kind')!r} model, not a {FLOW_KIND}.")
        try:
            net_config = FlowConfig.from_dict(config["architecture"])
            channels, frames = int(config["latent"]["channels"]), int(config["latent"]["frames"])
            projection = LatentProjection(tensors["basis"].float().numpy(), tensors["mean"].float().numpy(),
                                          tensors["scale"].float().numpy(), channels, frames)
        except (KeyError, TypeError, ValueError) as err:
            raise ModelFileError(f"Model '{name}': flow settings are invalid ({err}).") from None
        net = FlowNet(net_config)
        load_state_strict(net, {k: v.float() for k, v in tensors.items()}, name, prefix="net.")
        return cls(net, projection, config, device)

    def to_cpu(self) -> None:
        """Move to the CPU (after the GPU ran out of memory)."""
        self.net.to("cpu")
        self.device = "cpu"

    @falls_back_to_cpu
    @torch.inference_mode()
    def sample(self, text: np.ndarray, notes, velocities, noise: np.ndarray, *, steps: int = 12,
               guidance: float = 3.0, start: np.ndarray | None = None, start_time: float = 0.0) -> np.ndarray:
        """(B, K) coefficients. ``text`` is (B, 384) or (384,); ``noise`` (B, K).

        With ``start`` (B, K), integration begins at ``start_time`` from the
        point between noise and ``start`` (variations around a result).
        """
        count = len(noise)
        dev = self.device
        text = np.array(np.broadcast_to(np.asarray(text, np.float32), (count, self.net.config.text)))
        x = torch.from_numpy(np.ascontiguousarray(noise, np.float32)).to(dev)
        if start is not None:
            x = start_time * torch.from_numpy(np.asarray(start, np.float32)).to(dev) + (1 - start_time) * x
        guided = guidance != 1.0
        text_t = torch.from_numpy(np.ascontiguousarray(text)).to(dev)
        note_t = torch.from_numpy(note_features(notes)).to(dev)
        vel_t = torch.from_numpy(velocity_features(velocities)).to(dev)
        present = torch.ones(count, dtype=torch.bool, device=dev)
        if guided:  # one batch: conditioned rows, then the same rows with every condition dropped
            text_t = torch.cat([text_t, text_t])  # ignored where ``present`` is False
            note_t, vel_t = (torch.cat([v, torch.zeros_like(v)]) for v in (note_t, vel_t))
            present = torch.cat([present, ~present])
        times = torch.linspace(start_time, 1.0, max(1, steps) + 1, device=dev)
        for t0, t1 in zip(times[:-1], times[1:]):
            xin = torch.cat([x, x]) if guided else x
            v = self.net(xin, t0.expand(len(xin)), text_t, present, note_t, vel_t)
            if guided:
                v = v[count:] + guidance * (v[:count] - v[count:])
            x = x + (t1 - t0) * v
        return x.cpu().numpy()


def flow_folder(model_name=None):
    """The folder of the generator trained for sound model ``model_name``, or None."""
    from sketchpad.engine.registry import DEFAULT_SOUND_MODEL, find_model

    name = str(model_name or DEFAULT_SOUND_MODEL).rstrip("/")
    try:
        return find_model(f"{name}-flow")
    except SketchpadError:
        return None


def load_flow_engine(model_name=None, device: str | None = None) -> "FlowEngine":
    """The generator trained for sound model ``model_name`` (default: the shipped one)."""
    from sketchpad.engine.device import compute_device
    from sketchpad.engine.model import SoundModel
    from sketchpad.engine.registry import find_model
    from sketchpad.engine.registry import DEFAULT_SOUND_MODEL
    from sketchpad.engine.text import shared_text_encoder

    folder = flow_folder(model_name)
    if folder is None:
        raise SketchpadError(f"Sound model '{model_name or DEFAULT_SOUND_MODEL}' has no trained generator; "
                             f"use the retrieval engine with it.")
    device = device or compute_device()
    generator = FlowGenerator.load(folder, device=device)
    beside = folder.parent / str(generator.info.get("sound_model"))
    model = SoundModel.load(beside if beside.is_dir() else find_model(generator.info.get("sound_model")),
                            device=device)
    captions = None
    index_folder = folder.parent / f"{generator.info.get('sound_model')}-retrieval"
    if index_folder.is_dir():  # optional: without it, "low" and "high" are only words
        from sketchpad.engine.retrieval import shared_index

        captions = shared_index(index_folder)
    return FlowEngine(generator, model, shared_text_encoder(), captions)


class FlowEngine:
    """Prompt -> one-shots sampled from the generator, decoded in one batch."""

    name = "generator"
    DEFAULT_STEPS = 12
    DEFAULT_GUIDANCE = 3.0

    def __init__(self, generator: FlowGenerator, sound_model, text_encoder, captions=None):
        """``captions``: the training sounds' caption embeddings and MIDI notes (a
        RetrievalIndex), for "low" and "high" (:mod:`sketchpad.engine.prompt_words`)."""
        self.generator = generator
        self.model = sound_model
        self.text = text_encoder
        self.captions = captions
        self.silence = sound_model.silence_frame()
        self.steps = self.DEFAULT_STEPS
        self.guidance = self.DEFAULT_GUIDANCE

    def _condition(self, prompt: str, pitch: int | None):
        from sketchpad.audio.pitch import parse_note, strip_note
        from sketchpad.engine.prompt_words import drum_register_semitones, register_for
        from sketchpad.engine.text import clean_prompt

        prompt = clean_prompt(prompt)
        pitch = pitch if pitch is not None else parse_note(prompt)
        words = strip_note(prompt) or prompt  # the note is its own condition
        text = self.text.embed([words])[0]
        if pitch is None and self.captions is not None:
            pitch, drum = register_for(words, self.captions, self.text)
            if drum is not None:  # the register's drum by name, tuned towards that register
                return prompt, self.text.embed([drum])[0], None, drum_register_semitones(words)
        trained = nearest_trained_note(pitch) if pitch is not None else None
        return prompt, text, trained, (pitch - trained) if pitch is not None else 0

    def _noise(self, seed: int, count: int, salt: int = 0) -> np.ndarray:
        size = self.generator.projection.scale.shape[0]
        return np.stack([np.random.default_rng([seed, salt, i]).standard_normal(size).astype(np.float32)
                         for i in range(count)])

    def _finish(self, prompt, seed, coefficients, seconds, semitones, pitch=None, shape=False,
                note=None, draft=False, query=None):
        """Decode; ``shape``: apply the prompt's character words to the latents first
        (a fresh generation; variations start from latents that already have them),
        after keeping each to the length of the training sounds nearest ``query`` (the
        prompt's text embedding); ``note``: the note the results sound at when no
        ``pitch`` tunes them; ``draft``: decode with the vocoder network alone (see
        ``decode_sounds``)."""
        from sketchpad.engine.character import (attack_for, drive_for, keep_to_typical_length,
                                                shape_generated, typical_sounding_frames)
        from sketchpad.engine.generated import decode_sounds
        from sketchpad.engine.prompt_words import qualities_asked

        latents = [z[None] for z in self.generator.projection.to_latents(coefficients)]
        if shape and query is not None and self.captions is not None and "long release" not in \
                qualities_asked(prompt):  # asked for long: longer than its neighbours is right
            typical = typical_sounding_frames(self.captions, query, self.silence)
            rate = self.model.sample_rate / self.model.samples_per_latent
            latents = [keep_to_typical_length(z, self.silence, typical, rate) for z in latents]
        if shape:
            directions = self.captions.character_directions if self.captions is not None else {}
            latents = shape_generated(latents, prompt, self.model, self.silence, directions)
        return decode_sounds(self.model, self.silence, prompt, seed, latents,
                             [()] * len(latents), seconds, semitones, tune_to=pitch,
                             drive=drive_for(prompt), note=note, draft=draft,
                             attack=attack_for(prompt))

    def generate(self, prompt: str, *, count: int = 8, seed: int = 0, seconds: float | None = None,
                 pitch: int | None = None, velocity: int | None = None, variation: float = 0.3,
                 guidance: float | None = None, steps: int | None = None, draft: bool = False):
        """``variation`` is accepted for the prompt box's common signature; the spread comes
        from the noise itself."""
        from sketchpad.engine.prompt_words import velocity_from_words

        prompt, text, note, semitones = self._condition(prompt, pitch)
        velocity = velocity if velocity is not None else velocity_from_words(prompt)
        coefficients = self.generator.sample(
            text, [note] * count, [velocity] * count, self._noise(seed, count),
            steps=steps or self.steps, guidance=self.guidance if guidance is None else guidance)
        # The note condition lands near, not on, the asked note: each result is tuned.
        target = note + semitones if note is not None else None
        return self._finish(prompt, seed, coefficients, seconds, semitones, target, shape=True,
                            draft=draft, query=text)

    def variations(self, sound, *, count: int = 8, seed: int = 0, amount: float = 0.5,
                   draft: bool = False):
        """"More like this": start part-way along the flow from ``sound``'s own latents, so the
        results keep its character and differ in detail (``amount`` 0..1: how far back)."""
        prompt, text, note, _ = self._condition(sound.prompt, None)
        z = self.generator.projection.fit_frames(np.asarray(sound.latents, np.float32)[:1], self.silence)
        start = np.repeat(self.generator.projection.to_coefficients(z), count, axis=0)
        start_time = float(np.clip(1.0 - 0.6 * amount, 0.2, 0.95))
        coefficients = self.generator.sample(
            text, [note] * count, [None] * count, self._noise(seed, count, salt=7919),
            steps=self.steps, guidance=self.guidance, start=start, start_time=start_time)
        return self._finish(prompt, seed, coefficients, None, sound.semitones, note=sound.note,
                            draft=draft)
