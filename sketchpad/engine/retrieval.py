"""The retrieval engine: a prompt picks real sounds, their latents are blended.

The idea of the ChopAN model in the text-to-one-shot thesis, made fast: the
captions of the training sounds are embedded once; a prompt's embedding finds
the nearest captions, and each result blends the latents of a few of those
sounds (weights drawn from the seed), adds a little latent noise, and decodes.
It needs no generative training and always sounds like real instruments, but
it can only reach what lies between sounds it has.

Index folder: config.json + weights.safetensors holding ``embeddings``
(N, 384) int8 with ``embedding_scales`` (N,) float16, ``latents`` (C, total frames) int8 with
``latent_scales`` and ``latent_offsets`` (C,) float32 (older indexes: float16 latents) with every sound's
frames concatenated, ``offsets`` (N + 1,) int64, ``midi_notes`` (N,) int16
(-1 where unpitched); the config lists captions and kinds.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import numpy as np
import torch

from sketchpad.audio.pitch import parse_note
from sketchpad.engine.character import attack_for, caption_directions, drive_for, shape_generated
from sketchpad.engine.generated import GeneratedSound, decode_sounds
from sketchpad.engine.latent_frames import fit_frames
from sketchpad.engine.model_files import read_model_folder, save_model_folder
from sketchpad.engine.prompt_words import drum_register_semitones, register_for
from sketchpad.errors import SketchpadError

INDEX_KIND = "retrieval-index"
TEMPERATURE = 0.04  # softmax temperature over the match scores
# Sentence embeddings of short prompts against long captions are noisy ("punchy
# 808 kick" is about as close to a shakuhachi as to an 808 kick), so the score
# adds the share of the prompt's words that the caption contains.
WORD_WEIGHT = 0.3
_STOP_WORDS = {"a", "an", "the", "of", "with", "and", "sound", "sounds", "some", "like", "very"}
_WORD_FORMS = {"hihat": "hi hat", "hats": "hat", "kicks": "kick", "snares": "snare",
               "bassdrum": "kick", "bd": "kick", "sd": "snare", "keys": "keyboard",
               "synths": "synth", "strings": "string", "pads": "pad", "bells": "bell"}
CANDIDATES = 24
BLEND_MEMBERS = 3  # sounds blended into each result
PITCH_POOL = 400  # closest captions searched for sounds at the asked note


def words_of(text: str) -> set[str]:
    """Lower-case word set of ``text`` with common producer spellings unified."""
    words = re.findall(r"[a-z0-9]+", text.lower().replace("_", " "))
    out = set()
    for word in words:
        out.update(_WORD_FORMS.get(word, word).split())
    return out - _STOP_WORDS


class RetrievalIndex:
    def __init__(self, embeddings, latents, offsets, midi_notes, captions, kinds,
                 character_directions: dict[str, np.ndarray] | None = None):
        self.embeddings = np.asarray(embeddings, np.float32)
        self._character_directions = character_directions
        self.latents = np.asarray(latents, np.float32)
        self.offsets = np.asarray(offsets, np.int64)
        self.midi_notes = np.asarray(midi_notes, np.int64)
        self.captions = list(captions)
        self.kinds = list(kinds)

    def __len__(self) -> int:
        return len(self.captions)

    @property
    def character_directions(self) -> dict[str, np.ndarray]:
        """Latent directions of the character words (:func:`caption_directions`): stored with
        the index when it is written; an index written before they existed measures them
        on first use (about a second here)."""
        if self._character_directions is None:
            self._character_directions = caption_directions(self)
        return self._character_directions

    def latent(self, i: int) -> np.ndarray:
        """(1, C, frames) latents of sound ``i``."""
        return self.latents[None, :, self.offsets[i]: self.offsets[i + 1]]

    @classmethod
    def load(cls, folder) -> "RetrievalIndex":
        config, t = read_model_folder(folder)
        if config.get("kind") != INDEX_KIND:
            raise SketchpadError(f"'{folder}' is not a retrieval index.")
        # Embeddings are stored as int8 with one scale per row (half the size of float16).
        embeddings = t["embeddings"].float().numpy() * t["embedding_scales"].float().numpy()[:, None]
        latents = t["latents"].float().numpy()
        if "latent_scales" in t:  # int8, one scale and offset per channel
            latents = latents * t["latent_scales"].numpy()[:, None] + t["latent_offsets"].numpy()[:, None]
        stored = config.get("character_directions")
        return cls(embeddings, latents.astype(np.float32),
                   t["offsets"].numpy(), t["midi_notes"].numpy(),
                   config["captions"], config["kinds"],
                   {k: np.asarray(v, np.float32) for k, v in stored.items()} if stored is not None else None)

    def save(self, folder, *, sound_model: str, extra_config: dict | None = None):
        scales = np.maximum(np.abs(self.embeddings).max(axis=1), 1e-8) / 127.0
        # Latents as int8 over each channel's range: a quarter of float32, and the
        # rounding (range / 255) is far below the noise the engine adds anyway.
        low, high = self.latents.min(axis=1), self.latents.max(axis=1)
        latent_scales = (np.maximum(high - low, 1e-6) / 254.0).astype(np.float32)
        latent_offsets = ((high + low) / 2).astype(np.float32)
        quantised = np.clip(np.round((self.latents - latent_offsets[:, None]) / latent_scales[:, None]),
                            -127, 127).astype(np.int8)
        # The directions of what is stored, so a loaded index measures the same ones.
        stored = RetrievalIndex(self.embeddings, quantised * latent_scales[:, None] + latent_offsets[:, None],
                                self.offsets, self.midi_notes, self.captions, self.kinds)
        tensors = {
            "embeddings": torch.from_numpy(np.round(self.embeddings / scales[:, None]).astype(np.int8)),
            "embedding_scales": torch.from_numpy(scales.astype(np.float16)),
            "latents": torch.from_numpy(np.ascontiguousarray(quantised)),
            "latent_scales": torch.from_numpy(latent_scales),
            "latent_offsets": torch.from_numpy(latent_offsets),
            "offsets": torch.from_numpy(self.offsets),
            "midi_notes": torch.from_numpy(self.midi_notes.astype(np.int16)),
        }
        config = {"kind": INDEX_KIND, "sound_model": sound_model, "items": len(self),
                  **(extra_config or {}),
                  "character_directions": {k: [round(float(x), 6) for x in v]
                                           for k, v in stored.character_directions.items()},
                  "captions": self.captions, "kinds": self.kinds}
        return save_model_folder(folder, config, tensors)


INDEX_FIT_STEPS = 0
"""Index latents come from the encoder alone, without the encode-time fit that files get.
Measured (session 20, docs/sound-engine-v2.md §3j): a set whose index was fitted trained
a generator judged right less often (44.4 % against 50.0 %), and retrieval from it was
no better (46.8 % against 47.2 %), though the fit's own round trips were closer."""


def build_index(sound_model, text_encoder, items, load, progress=None) -> RetrievalIndex:
    """Encode ``items`` (objects with caption, kind, midi_note) whose mono audio
    ``load(item)`` returns, and embed their captions."""
    latents, offsets, notes = [], [0], []
    for n, item in enumerate(items):
        z = sound_model.encode(load(item), fit_steps=INDEX_FIT_STEPS)[0]
        latents.append(z)
        offsets.append(offsets[-1] + z.shape[1])
        notes.append(-1 if item.midi_note is None or item.kind == "drum" else int(item.midi_note))
        if progress is not None and n % 100 == 0:
            progress(n / max(1, len(items)))
    embeddings = text_encoder.embed([item.caption for item in items])
    return RetrievalIndex(embeddings, np.concatenate(latents, axis=1), offsets, notes,
                          [i.caption for i in items], [i.kind for i in items])


_loaded: dict[tuple[str, int], RetrievalIndex] = {}
_loaded_lock = threading.Lock()


def shared_index(folder) -> RetrievalIndex:
    """The index in ``folder``, loaded once per process and shared (read-only) by both
    prompt engines; reloaded when its weights file changes (a rebuilt index)."""
    folder = Path(folder).resolve()
    weights = folder / "weights.safetensors"
    key = (str(folder), weights.stat().st_mtime_ns if weights.exists() else 0)
    with _loaded_lock:
        if key not in _loaded:
            for stale in [k for k in _loaded if k[0] == key[0]]:
                del _loaded[stale]
            _loaded[key] = RetrievalIndex.load(folder)
        return _loaded[key]


def load_retrieval_engine(model_name=None, device: str | None = None) -> "RetrievalEngine":
    """The index built with sound model ``model_name`` (default: the shipped one)."""
    from sketchpad.engine.model import SoundModel
    from sketchpad.engine.registry import DEFAULT_SOUND_MODEL, find_model
    from sketchpad.engine.text import shared_text_encoder

    name = str(model_name or DEFAULT_SOUND_MODEL)
    folder = find_model(f"{name.rstrip('/')}-retrieval")
    index = shared_index(folder)
    config, _ = read_model_folder(folder)
    # The sound model sits beside its index (the shipped pair, or a user's trained pair).
    beside = folder.parent / str(config.get("sound_model"))
    model = SoundModel.load(beside if beside.is_dir() else find_model(config.get("sound_model")),
                            device=device)
    return RetrievalEngine(index, model, shared_text_encoder())


class RetrievalEngine:
    """Prompt -> one-shots. Decoding is batched: eight results cost about one decode pass."""

    name = "retrieval"

    def __init__(self, index: RetrievalIndex, sound_model, text_encoder):
        self.index = index
        self.model = sound_model
        self.text = text_encoder
        self._caption_words = [words_of(c) for c in index.captions]
        self.silence = sound_model.silence_frame()

    def scores(self, prompt: str, query: np.ndarray) -> np.ndarray:
        """Match score of every indexed sound: cosine similarity plus shared words."""
        similarity = self.index.embeddings @ query
        wanted = {w for w in words_of(prompt) if parse_note(w.upper()) is None}
        if wanted:
            shared = np.array([len(wanted & words) for words in self._caption_words], np.float32)
            similarity = similarity + WORD_WEIGHT * shared / len(wanted)
        return similarity

    def _candidates(self, similarity: np.ndarray, pitch: int | None):
        """(indices, probabilities, semitones to shift) of the sounds to draw from.

        With a pitch, the candidates are the best-matching sounds recorded at
        one note, the one nearest the asked pitch among the closest captions;
        the result is then transposed by the remaining interval, as a sampler
        does, so blended members never disagree about the pitch.
        """
        order = np.argsort(-similarity)
        shift = 0
        if pitch is not None:
            notes = self.index.midi_notes[order[:PITCH_POOL]]
            pitched = order[:PITCH_POOL][notes >= 0]
            if len(pitched):
                relevant = self.index.midi_notes[pitched[:CANDIDATES]]
                note = int(relevant[np.argmin(np.abs(relevant - pitch))])
                order = pitched[self.index.midi_notes[pitched] == note]
                shift = pitch - note
        top = order[:CANDIDATES]
        weights = np.exp((similarity[top] - similarity[top].max()) / TEMPERATURE) + 1e-6
        return top, weights / weights.sum(), shift

    def _members(self, rng: np.random.Generator, top: np.ndarray, probabilities: np.ndarray) -> list[int]:
        """Up to BLEND_MEMBERS sounds to blend, drawn by ``probabilities``: the first from all
        of ``top``, the rest among those recorded at its note. Latents of one instrument at
        different notes blend into a cluster of partials that sounds like neither (a
        "nylon guitar" of G#3, E4 and E3 was heard as a piano); unpitched sounds share
        note -1, so drums blend as before."""
        first = int(rng.choice(top, p=probabilities))
        same = np.flatnonzero(self.index.midi_notes[top] == self.index.midi_notes[first])
        others = same[top[same] != first]
        k = min(BLEND_MEMBERS - 1, len(others))
        if k == 0:
            return [first]
        p = probabilities[others] / probabilities[others].sum()
        return [first] + [int(m) for m in rng.choice(top[others], size=k, replace=False, p=p)]

    def _blend(self, members: list[int], weights: np.ndarray) -> np.ndarray:
        frames = self.index.offsets[members[0] + 1] - self.index.offsets[members[0]]
        out = np.zeros((1, self.index.latents.shape[0], frames), np.float32)
        for member, weight in zip(members, weights):
            out += weight * fit_frames(self.index.latent(member), frames, self.silence)
        return out

    def generate(self, prompt: str, *, count: int = 8, seed: int = 0, seconds: float | None = None,
                 pitch: int | None = None, variation: float = 0.3,
                 draft: bool = False) -> list[GeneratedSound]:
        from sketchpad.engine.text import clean_prompt

        prompt = clean_prompt(prompt)
        pitch = pitch if pitch is not None else parse_note(prompt)
        query, wording, drum_shift = self.text.embed([prompt])[0], prompt, 0.0
        if pitch is None:
            pitch, text = register_for(prompt, self.index, self.text)
            if text is not None:  # a drum: the register's drum by name, tuned towards it too
                query, wording = self.text.embed([text])[0], text
                drum_shift = drum_register_semitones(prompt)
        top, probabilities, shift = self._candidates(self.scores(wording, query), pitch)
        shift += drum_shift
        latents, neighbours = [], []
        for i in range(count):
            rng = np.random.default_rng([seed, i])
            members = self._members(rng, top, probabilities)
            weights = rng.dirichlet([6.0] + [1.5] * (len(members) - 1)) if len(members) > 1 else np.ones(1)
            z = self._blend(members, weights)
            z = z + variation * 0.15 * rng.standard_normal(z.shape).astype(np.float32)
            latents.append(z)
            neighbours.append(tuple(self.index.captions[m] for m in members))
        return self._decode(prompt, seed, latents, neighbours, seconds, shift, shape=True, note=pitch,
                            draft=draft)

    def variations(self, sound: GeneratedSound, *, count: int = 8, seed: int = 0,
                   amount: float = 0.5, draft: bool = False) -> list[GeneratedSound]:
        """"More like this": small latent moves around ``sound``."""
        latents = []
        for i in range(count):
            rng = np.random.default_rng([seed, 7919, i])
            latents.append(sound.latents + amount * 0.2 * rng.standard_normal(
                sound.latents.shape).astype(np.float32))
        return self._decode(sound.prompt, seed, latents, [sound.neighbours] * count, None,
                            sound.semitones, note=sound.note, draft=draft)

    def _decode(self, prompt, seed, latents, neighbours, seconds,
                semitones: float = 0.0, shape: bool = False, note: int | None = None,
                draft: bool = False) -> list[GeneratedSound]:
        """``shape``: apply the prompt's character words to the latents first (a fresh
        generation; variations start from latents that already have them); ``draft``:
        decode with the vocoder network alone (see ``decode_sounds``)."""
        if shape:
            latents = shape_generated(latents, prompt, self.model, self.silence,
                                      self.index.character_directions)
        return decode_sounds(self.model, self.silence, prompt, seed, latents, neighbours,
                             seconds, semitones, drive=drive_for(prompt), note=note, draft=draft,
                             attack=attack_for(prompt))
