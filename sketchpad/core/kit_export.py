"""Taking a kit away: a folder of WAVs, an SFZ instrument and the pattern as a MIDI file.

Layout of an exported kit folder ``<name>/``::

    01 Kick.wav ... 16 Ride.wav   each pad as it sounds on the pad (tuning, gain and
                                  pan applied), with its root note in the smpl chunk
    <name>.sfz                    pad i on MIDI note 36 + i (General MIDI drums),
                                  one-shot, choke groups as group/off_by
    <name>.mid                    the pattern: one bar of 16ths on channel 10 at the
                                  kit's tempo, swing in the note times

The folder is built under a hidden temporary name beside the destination and
renamed into place when complete, so a failed export leaves nothing behind and
never touches an existing folder (a taken name gets " 2", " 3"...). Qt-free;
any thread.
"""

from __future__ import annotations

import errno
import secrets
import shutil
from pathlib import Path

from sketchpad.atomic import atomic_write, atomic_write_text
from sketchpad.audio.export import free_path, safe_file_stem, write_wav
from sketchpad.core.clip_wav import clip_metadata
from sketchpad.core.kit import STEP_COUNT, Kit, KitState, Pattern, clip_root_note, pad_samples
from sketchpad.errors import AudioFileError

MIDI_TICKS_PER_BEAT = 480
DRUM_CHANNEL = 9  # channel 10, counted from 0


def pad_file_names(state: KitState) -> dict[int, str]:
    """WAV file name of each filled pad, by pad index ("01 Kick.wav")."""
    return {i: f"{i + 1:02d} {safe_file_stem(pad.name or pad.clip.name)}.wav"
            for i, pad in enumerate(state.pads) if pad.clip is not None}


def sfz_text(state: KitState, name: str) -> str:
    lines = [f"// {name}: a Sketchpad kit. Pad n plays on MIDI note {Kit.note_of_pad(0)} + n - 1",
             "// (General MIDI drums); samples are one-shots with tuning, gain and pan applied.",
             "<control>", "default_path=./", "", "<global>", "loop_mode=one_shot", ""]
    for index, file_name in pad_file_names(state).items():
        pad = state.pads[index]
        note = Kit.note_of_pad(index)
        lines.append(f"<region> sample={file_name} key={note}")
        if pad.choke_group:
            lines.append(f"group={pad.choke_group} off_by={pad.choke_group}")
    return "\n".join(lines) + "\n"


def pattern_midi(pattern: Pattern):
    """The pattern as a mido MidiFile: a tempo track and one bar of 16ths on channel 10."""
    import mido

    step = MIDI_TICKS_PER_BEAT // 4
    swing = int(round((pattern.swing - 50.0) / 50.0 * step))
    events = []  # (tick, order, message): note-offs before note-ons at the same tick
    for s, pad, velocity in pattern.hits():
        start = s * step + (swing if s % 2 else 0)
        note = Kit.note_of_pad(pad)
        events.append((start, 1, mido.Message("note_on", channel=DRUM_CHANNEL, note=note,
                                              velocity=max(1, min(127, round(velocity * 127))))))
        events.append((start + step // 2, 0, mido.Message("note_off", channel=DRUM_CHANNEL, note=note,
                                                         velocity=0)))
    events.sort(key=lambda e: (e[0], e[1]))
    song = mido.MidiFile(type=1, ticks_per_beat=MIDI_TICKS_PER_BEAT)
    meta = mido.MidiTrack([mido.MetaMessage("track_name", name="Sketchpad kit", time=0),
                           mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(pattern.tempo_bpm), time=0),
                           mido.MetaMessage("time_signature", numerator=4, denominator=4, time=0),
                           mido.MetaMessage("end_of_track", time=STEP_COUNT * step)])
    notes = mido.MidiTrack([mido.MetaMessage("track_name", name="Pattern", time=0)])
    last = 0
    for tick, _, message in events:
        notes.append(message.copy(time=tick - last))
        last = tick
    notes.append(mido.MetaMessage("end_of_track", time=max(0, STEP_COUNT * step - last)))
    song.tracks.extend([meta, notes])
    return song


def export_kit(state: KitState, parent, name: str, *, bit_depth: str = "pcm24",
               rate: int = 44100, sample_rate: int = 44100) -> Path:
    """Write the kit folder ``parent/<name>`` (a free name); returns it.

    Raises AudioFileError (one line) for an empty kit or a file-system failure."""
    if all(pad.clip is None for pad in state.pads):
        raise AudioFileError("The kit is empty: put sounds on its pads first.")
    parent = Path(parent)
    if not parent.is_dir():
        raise AudioFileError(f"Can't export the kit: the folder '{parent}' does not exist.")
    final = free_path(parent, name)
    temp = parent / f".{final.name}.{secrets.token_hex(4)}.part"
    try:
        temp.mkdir()
        for index, file_name in pad_file_names(state).items():
            pad = state.pads[index]
            root = clip_root_note(pad.clip)
            root = Kit.note_of_pad(index) if root is None else int(round(root + pad.tune_semitones))
            write_wav(temp / file_name, pad_samples(pad, sample_rate), sample_rate, bit_depth=bit_depth,
                      out_rate=rate, metadata=clip_metadata(pad.clip, title=pad.name,
                                                            root_note=min(127, max(0, root))))
        atomic_write_text(temp / f"{final.name}.sfz", sfz_text(state, final.name))
        song = pattern_midi(state.pattern)
        atomic_write(temp / f"{final.name}.mid", lambda out: song.save(file=out))
        temp.rename(final)
    except OSError as exc:
        shutil.rmtree(temp, ignore_errors=True)
        reason = "not enough disk space" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
        raise AudioFileError(f"Can't export the kit to '{parent}': {reason}.") from None
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return final
