"""The window's side of the kit: loading dropped sounds, exports, MIDI and the keyboard.

Keeps :class:`~sketchpad.ui.kit_panel.KitPanel` free of jobs and devices: the
binding runs file loads and kit exports through the window's workspace, opens
the MIDI input chosen in Preferences, and switches the computer keyboard on
and off. MIDI notes go straight from rtmidi's thread to
:class:`~sketchpad.core.keys.Keys` and the voice mixer; nothing waits for Qt.
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtGui import QDrag

from sketchpad.audio.midi_input import MidiInput, input_ports, midi_unavailable_reason
from sketchpad.core.clip import with_sources
from sketchpad.core.workspace import write_kit
from sketchpad.errors import SketchpadError
from sketchpad.ui.kit_panel import KitPanel

MIDI_SETTING = "midi/port"
AUTO_PORT = ""  # the setting's value for "the first MIDI input connected"
NO_PORT = "(none)"  # ... and for "no MIDI input"


class KitBinding:
    def __init__(self, window):
        self.window = window
        self.kit = window.kit
        self.panel = KitPanel(window.kit, window.player)
        self.panel.files_dropped.connect(self._load_onto_pad)
        self.panel.clip_dropped.connect(self._clip_onto_pad)
        self.panel.export_requested.connect(self.export)
        self.panel.drag_requested.connect(self.drag_out)
        self.panel.message.connect(window.show_error)
        self.panel.keys_mode.currentIndexChanged.connect(
            lambda _: window.keys.set_mode(self.panel.keys_mode.currentData()))
        self.panel.computer_keys.toggled.connect(self.set_computer_keys)
        self.midi = MidiInput(self._midi_note_on, window.keys.note_off)
        self.midi_notice_shown = False
        window.project.clip_changed.connect(window.keys.set_sound)
        window.project.clip_changed.connect(lambda clip: self._warm_keys())  # after set_sound

    def _warm_keys(self) -> None:
        """Transpose the sound on show an octave each way in the background, while keys are in use,
        so the first notes cost no resampling on the MIDI thread."""
        if self.window.computer_keys.enabled or self.midi.is_open:
            self.window.keys.warm_in_background(self.window.pool)

    # -- sounds onto pads ------------------------------------------------------------------
    def _target_pad(self) -> int:
        selected = self.panel.selected
        if self.kit.pads[selected].empty:
            return selected
        free = self.kit.first_empty_pad()
        return selected if free is None else free

    def put_on_pad(self, clip=None) -> int | None:
        """Put ``clip`` (default: the sound on show) on the selected pad, or the next free one."""
        clip = clip or self.window.project.clip
        if clip is None:
            return None
        index = self._target_pad()
        self._assign_finished(index, clip)
        self.panel.select_pad(index)
        self.window.statusBar().showMessage(f"'{clip.name}' is on pad {index + 1}.", 4000)
        return index

    def _assign_finished(self, index: int, clip) -> None:
        """A pad gets the finished sound, never a draft (the kit is exported as it is)."""
        engine = self.window.prompt_engine
        self.window.refiner.finished(clip, engine.model if engine is not None else None,
                                     lambda done: self.kit.assign(index, done))

    def _known_clips(self):
        project = self.window.project
        return with_sources([*project.tiles, *project.kept, project.clip,
                             *self.window.blend_panel.source_clips().values(), *self.kit.clips()])

    def _clip_onto_pad(self, index: int, uid: str) -> None:
        clip = self._known_clips().get(uid)
        if clip is not None:
            self._assign_finished(index, clip)

    def _load_onto_pad(self, index: int, paths: list) -> None:
        self.window.workspace.read_first(paths, lambda clip: self.kit.assign(index, clip))

    # -- taking the kit away --------------------------------------------------------------------
    def export(self) -> None:
        """Write the kit folder into the export folder (a job)."""
        if not self.kit.clips():
            self.window.show_error("The kit is empty: put sounds on its pads first (P, or drop them).")
            return
        settings = self.window.export_settings
        job = self.window.workspace.export_kit(self.kit.state(), settings.folder,
                                               bit_depth=settings.bit_depth, rate=settings.rate)
        self.window.tracker.track(job, "Exporting the kit")

    def drag_out(self, widget) -> None:
        """Export the kit and drag its folder out (a 16-pad kit writes in well under a second)."""
        if not self.kit.clips():
            self.window.show_error("The kit is empty: put sounds on its pads first (P, or drop them).")
            return
        settings = self.window.export_settings
        try:
            path = write_kit(self.kit.state(), settings.folder, bit_depth=settings.bit_depth,
                             rate=settings.rate)
        except (SketchpadError, OSError) as err:
            self.window.show_error(f"Can't drag the kit out: {err}")
            return
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(path))])
        drag = QDrag(widget)
        drag.setMimeData(mime)
        drag.exec(Qt.DropAction.CopyAction)

    # -- keys -----------------------------------------------------------------------------------------
    def set_computer_keys(self, on: bool | None = None) -> None:
        action = self.window.computer_keys_action
        on = action.isChecked() if on is None else bool(on)
        for control in (action, self.panel.computer_keys):
            control.blockSignals(True)
            control.setChecked(on)
            control.blockSignals(False)
        self.window.computer_keys.set_enabled(on)
        self._warm_keys()
        if on and not self.window.player.open():
            self.window.show_error(self.window.player.status_text)
        elif on:
            self.window.statusBar().showMessage(
                "Computer keyboard plays: A W S E D F T G Y H U J K, Z/X octave, C/V velocity "
                "(K no longer keeps; Ctrl+K to stop)", 8000)

    def _midi_note_on(self, note: int, velocity: int, received_at: float) -> None:  # MIDI thread
        self.window.keys.note_on(note, velocity, at=received_at)

    def midi_choice(self) -> tuple[list[str], str, str | None]:
        """(ports present, the chosen port, why MIDI is unavailable or None) for Preferences."""
        return input_ports(), self._wanted_port(), midi_unavailable_reason()

    def _wanted_port(self) -> str:
        return str(self.window.settings.value(MIDI_SETTING, AUTO_PORT) or AUTO_PORT)

    def choose_midi_port(self, name: str | None) -> None:
        if name is None:
            return
        self.window.settings.setValue(MIDI_SETTING, name)
        self.connect_midi(quiet=False)

    def connect_midi(self, *, quiet: bool = True) -> None:
        """Open the MIDI input from Preferences (or the first one); say once when there is none."""
        reason = midi_unavailable_reason()
        if reason is not None:
            self.panel.set_midi_text("MIDI: unavailable")
            self.panel.midi_label.setToolTip(reason)
            if not self.midi_notice_shown:
                self.midi_notice_shown = True
                self.window.statusBar().showMessage(
                    f"No MIDI input: {reason}. The computer keyboard plays notes (Ctrl+K).", 10000)
            return
        wanted = self._wanted_port()
        ports = input_ports()
        self.midi.close()
        if wanted == NO_PORT:
            self.panel.set_midi_text("MIDI: off (Preferences)")
            return
        if not ports or (wanted and wanted not in ports):
            self.panel.set_midi_text("MIDI: no keyboard connected")
            if not quiet:
                self.window.show_error(f"No MIDI input: '{wanted}' is not connected." if wanted else
                                       "No MIDI input: no MIDI keyboard or port is connected.")
            return
        try:
            name = self.midi.open(wanted or None)
        except SketchpadError as err:
            self.panel.set_midi_text("MIDI: not connected")
            if not quiet:
                self.window.show_error(str(err))
            return
        self.window.player.open()
        self.panel.set_midi_text(f"MIDI: {name}")

    def shutdown(self) -> None:
        self.midi.close()
        self.window.computer_keys.set_enabled(False)
        self.panel.shutdown()
