"""The main window: the producer's audition loop, from prompt to exported WAV.

The window owns the project state, the worker pool and the player, and
binds its widgets to the Qt-free controllers of :mod:`sketchpad.core`
(prompting, shaping, the workspace's files, blend, kit), which run every slow
thing as a job on the pool; results arrive on the UI thread and go into the
project, which the views follow.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Slot
from PySide6.QtWidgets import (QApplication, QDockWidget, QFileDialog, QInputDialog, QMainWindow,
                               QMessageBox, QScrollArea, QSplitter, QTabWidget)

from sketchpad import PROJECT_NAME
from sketchpad.audio.export import free_path
from sketchpad.audio.io import SUPPORTED_EXTENSIONS
from sketchpad.audio.pitch import warm_pitch_estimation
from sketchpad.audio.playback import Player
from sketchpad.core.clip import Clip
from sketchpad.core.keys import Keys
from sketchpad.core.kit import Kit
from sketchpad.core.library_session import LibrarySession
from sketchpad.core.prompting import PromptSession
from sketchpad.core.refining import DraftRefiner
from sketchpad.core.shaping import ShapeSession
from sketchpad.paths import resources_dir, user_data_dir
from sketchpad.core.project import Project
from sketchpad.core.memory import freeze_long_lived_objects
from sketchpad.core.session_store import Session
from sketchpad.core.workspace import MESSAGE_SECONDS, Workspace, format_time
from sketchpad.errors import SketchpadError
from sketchpad.ui.about import about_html
from sketchpad.ui.blend_panel import BlendPanel
from sketchpad.ui.computer_keys import ComputerKeys
from sketchpad.ui.kit_binding import KitBinding
from sketchpad.ui.library_panel import LibraryPanel
from sketchpad.ui.preferences import ExportSettings, PreferencesDialog, audio_buffer_periods
from sketchpad.ui.progress_tracker import ProgressTracker
from sketchpad.ui.slider_panel import SliderPanel
from sketchpad.ui.sound_view import SoundView
from sketchpad.ui.generate_area import GenerateArea
from sketchpad.ui.wav_out import start_wav_drag
from sketchpad.ui.window_actions import build_actions, build_status_bar
from sketchpad.ui.workers import WorkerPool, describe_error

PLAYHEAD_FPS = 30
AUTOSAVE_DELAY_MS = 1000
REFINE_DELAY_MS = 250  # drafts are finished once nothing has moved for this long


def _load_default_prompt_engine(model_name: str | None = None, kind: str | None = None):
    from sketchpad.engine.prompt_engines import load_prompt_engine

    engine = load_prompt_engine(kind, model_name, fallback=True)
    # Else the first prompt with a note waits about a second for pitch tracking to import.
    # Here, before the prompt box opens: done later in the background, the import held
    # up autosaves for seconds (tests/ui/test_session_kill.py).
    warm_pitch_estimation()
    return engine


class MainWindow(QMainWindow):
    def __init__(self, *, player: Player | None = None, settings: QSettings | None = None,
                 prompt_engine_loader=None, session_folder=None):
        super().__init__()
        self.setWindowTitle(PROJECT_NAME)
        self.setAcceptDrops(True)
        self.settings = settings or QSettings(str(user_data_dir() / "settings.ini"),
                                              QSettings.Format.IniFormat)
        self.export_settings = ExportSettings(self.settings)
        self.session_restored = False
        self.project = Project()
        self.pool = WorkerPool(parent=self)
        self.player = player or Player(buffer_periods=audio_buffer_periods(self.settings))
        self.workspace = Workspace(self.project, self.pool,
                                   session_folder or user_data_dir() / "session")
        self.workspace.message.connect(
            lambda text, seconds=MESSAGE_SECONDS: self.statusBar().showMessage(text, seconds * 1000))
        self.workspace.failed.connect(self.show_error)
        self.workspace.session_loaded.connect(self._on_session_loaded)
        self.workspace.before_adding.connect(self.player.stop)
        self.prompting = PromptSession(self.project, self.pool,
                                       prompt_engine_loader or _load_default_prompt_engine)
        self.prompting.ready.connect(self._on_prompt_engine_ready)
        self.prompting.load_failed.connect(self._on_prompt_engine_failed)
        self.prompting.failed.connect(self.show_error)
        self.prompting.results.connect(self._announce_results)
        self.shaping = ShapeSession(self.project, self.pool)
        self.shaping.shown.connect(self._play_shaped)
        self.shaping.failed.connect(self.show_error)
        self.refiner = DraftRefiner(self.project, self.pool)
        self.refiner.refined.connect(self._keep_playing)
        self.refiner.failed.connect(self.show_error)
        self.kit = Kit()
        self.kit.attach(self.player.voices)
        self.keys = Keys(self.kit, self.player.voices)
        self.computer_keys = ComputerKeys(self.keys, self)

        self._build_views()
        build_actions(self)
        self._refresh_undo_actions()
        build_status_bar(self)
        self.tracker = ProgressTracker(self.pool, self.progress, self.cancel_button, self)
        self.project.clip_changed.connect(self._show_clip)
        self.project.tiles_changed.connect(self._show_tiles)
        self.project.kept_changed.connect(self._show_kept)
        for changed in (self.project.clip_changed, self.project.tiles_changed,
                        self.project.kept_changed):
            changed.connect(self._schedule_refine)
        self.project.changed.connect(self._schedule_autosave)
        self.prompt_bar.values_changed.connect(self._schedule_autosave)
        self.blend_panel.changed.connect(self._schedule_autosave)
        self.kit.changed.connect(self._schedule_autosave)
        self.pool.error.connect(self.show_error)

        self._playhead_timer = self._timer(1000 // PLAYHEAD_FPS, self._update_playhead)
        self._device_timer = self._timer(1000, self._poll_audio_device)
        self._autosave_timer = self._timer(AUTOSAVE_DELAY_MS, self.autosave, single_shot=True,
                                           start=False)
        self._refine_timer = self._timer(REFINE_DELAY_MS, self._refine_drafts, single_shot=True,
                                         start=False)

        self.resize(1280, 800)
        self._restore_layout()
        self._probe_compute_device()
        self._restore_session()
        self._load_prompt_engine()
        self.kit_binding.connect_midi()

    def _timer(self, interval_ms: int, slot, *, single_shot=False, start=True) -> QTimer:
        timer = QTimer(self)
        timer.setInterval(interval_ms)
        timer.setSingleShot(single_shot)
        timer.timeout.connect(slot)
        if start:
            timer.start()
        return timer

    # -- construction ------------------------------------------------------------
    def _build_views(self) -> None:
        self.sound_view = SoundView()
        self.waveform, self.spectrogram = self.sound_view.waveform, self.sound_view.spectrogram
        self.splitter = self.sound_view.splitter
        self.waveform.seek_requested.connect(self.seek)
        generate_area = GenerateArea(self.project.prompt_history)
        self.generate_area = generate_area
        self.prompt_bar, self.tile_grid = generate_area.prompt_bar, generate_area.tile_grid
        self.kept_grid = generate_area.kept_grid
        self.prompt_bar.generate_requested.connect(self.generate)
        self.prompt_bar.engine_changed.connect(self.choose_engine)
        self.tile_grid.tile_activated.connect(self.audition_tile)
        self.kept_grid.tile_activated.connect(lambda i: self.audition(self.project.kept[i]))
        for grid, clips in ((self.tile_grid, lambda: self.project.tiles),
                            (self.kept_grid, lambda: self.project.kept)):
            grid.star_clicked.connect(lambda i, c=clips: self.toggle_keep(c()[i]))
            grid.more_requested.connect(lambda i, c=clips: self.more_like_this(c()[i]))
            grid.drag_requested.connect(lambda i, w, c=clips: self.drag_out(c()[i], w))
            grid.blend_requested.connect(lambda i, letter, c=clips: self.blend_with(c()[i], letter))
        self.library_panel = LibraryPanel(LibrarySession(self.pool, lambda: self.prompt_engine), self.player)
        self.library_panel.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.library_panel.sound_ready.connect(self.show_library_sound)
        self.library_panel.train_requested.connect(self.train_on_folder)
        self.areas = QTabWidget()
        self.areas.setObjectName("areaTabs")
        self.areas.addTab(generate_area, "Generate")
        self.areas.addTab(self.library_panel, "Library")
        self.areas.setTabToolTip(1, "Your sample folder as a 2D latent map: hover, click, "
                                 "drag; fine-tune the models on it")
        self.main_splitter = QSplitter(Qt.Orientation.Vertical)
        self.main_splitter.setObjectName("mainSplitter")
        self.main_splitter.addWidget(self.areas)
        self.blend_panel = BlendPanel(self.pool, self.player,
                                      lambda: self.prompt_engine.model if self.prompt_engine else None)
        self.blend_panel.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.blend_panel.tiles_ready.connect(self._show_results)
        self.blend_panel.clip_ready.connect(self.add_blend_tile)
        self.blend_panel.export_requested.connect(self.export_blend)
        self.views = QTabWidget()
        self.views.setObjectName("viewTabs")
        self.views.addTab(self.sound_view, "Sound")
        self.views.addTab(self.blend_panel, "Blend")
        self.views.setTabToolTip(1, "Blend two sounds or songs: mix, timeline, morph steps, style")
        self.kit_binding = KitBinding(self)
        kit_scroll = QScrollArea()  # the kit is taller than small screens allow: let it scroll
        kit_scroll.setWidget(self.kit_binding.panel)
        kit_scroll.setWidgetResizable(True)
        kit_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.views.addTab(kit_scroll, "Kit")
        self.views.setTabToolTip(2, "Pads, keys and a 16-step pattern; export the kit as WAVs, "
                                 "SFZ and MIDI")
        self.main_splitter.addWidget(self.views)
        self.main_splitter.setSizes([330, 470])
        self.setCentralWidget(self.main_splitter)
        self.slider_panel = SliderPanel()
        self.slider_panel.changed.connect(self.shape)
        dock = QDockWidget("Shape", self)
        dock.setObjectName("shapeDock")
        dock.setWidget(self.slider_panel)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)

    # -- files ---------------------------------------------------------------------
    def open_dialog(self) -> None:
        patterns = " ".join(f"*{ext}" for ext in SUPPORTED_EXTENSIONS)
        paths, _ = QFileDialog.getOpenFileNames(self, "Open audio", str(Path.home()),
                                                f"Audio ({patterns});;All files (*)")
        if paths:
            self.open_files(paths)

    def open_demo(self) -> None:
        self.open_file(resources_dir() / "sounds" / "demo-groove.flac")

    def open_file(self, path) -> None:
        self.open_files([path])

    def open_files(self, paths) -> None:
        """Decode and analyse ``paths`` in the background; each becomes a new tile."""
        label = self.workspace.describe_open(paths)
        self.statusBar().showMessage(f"{label}…")
        self.tracker.track(self.workspace.open(paths), label)

    @property
    def is_loading(self) -> bool:
        return self.workspace.is_loading

    def _show_clip(self, clip: Clip | None) -> None:
        if clip is not self.shaping.showing and self.slider_panel.isEnabled():
            # Sliders show what was done to this sound (neutral for a new one).
            self.slider_panel.blockSignals(True)
            self.slider_panel.set_state(clip.origin.sliders if clip is not None else None)
            self.slider_panel.blockSignals(False)
        self.sound_view.set_clip(clip)
        self.generate_area.show_selected(clip)
        for action in (self.export_action, self.export_as_action, self.keep_action,
                       self.more_action):
            action.setEnabled(clip is not None)
        self.remove_action.setEnabled(any(tile is clip for tile in self.project.tiles))
        self.keep_action.setChecked(clip is not None and self.project.is_kept(clip))
        self.setWindowTitle(f"{clip.name} — {PROJECT_NAME}" if clip else PROJECT_NAME)
        self._update_playhead()

    def _show_tiles(self, clips: list[Clip]) -> None:
        self.tile_grid.set_clips(clips)
        self.tile_grid.set_kept(self.project.kept)
        self.tile_grid.show_selected(self.project.clip)
        self.remove_action.setEnabled(any(tile is self.project.clip for tile in clips))

    def _show_kept(self, kept: list[Clip]) -> None:
        self.generate_area.show_kept(kept, self.project.clip)

    # -- prompt to tiles ---------------------------------------------------------------
    def _load_prompt_engine(self) -> None:
        name = self.settings.value("model/name") or None
        kind = self.settings.value("model/engine") or None
        self.prompt_bar.set_engine_kind(kind or "generator")
        self.prompting.load(name, kind)

    @property
    def prompt_engine(self):
        """The prompt engine, once loaded in the background (None until then)."""
        return self.prompting.engine

    def _on_prompt_engine_ready(self, engine) -> None:
        freeze_long_lived_objects()  # full GC passes would otherwise stall audio and UI
        library = self.library_panel.library
        if library is not None and library.model_name != engine.model.name:
            self.library_panel.import_folder(library.folder)  # latents differ per model
        self.prompt_bar.set_ready(True)
        self.prompt_bar.set_engine_kind(engine.name)  # a model without a generator falls back
        self.model_label.setText(f"Model: {engine.model.name} ({engine.name})")
        if getattr(engine.model, "notice", None):  # e.g. its vocoder is missing: the fallback plays
            self.statusBar().showMessage(engine.model.notice, 15000)
        self.slider_panel.set_directions([d.name for d in engine.model.directions[:8]])
        self.slider_panel.blockSignals(True)
        clip = self.project.clip
        self.slider_panel.set_state(clip.origin.sliders if clip is not None else None)
        self.slider_panel.blockSignals(False)

    def choose_engine(self, kind: str) -> None:
        """Switch the prompt engine (generator or retrieval); remembered for the next start."""
        self.settings.setValue("model/engine", kind)
        self.prompt_bar.set_ready(False, "Loading engine…")
        self._load_prompt_engine()

    def _on_prompt_engine_failed(self, message: str) -> None:
        self.prompt_bar.set_ready(False, "No model")
        self.show_error(f"The prompt box is off: {message}")

    @Slot(str, int, int)
    def generate(self, prompt: str, count: int, seed: int) -> None:
        """Generate ``count`` sounds for ``prompt`` on the model worker; tiles follow."""
        bar = self.prompt_bar
        self.refiner.cancel()  # the new prompt needs the model first
        job = self.prompting.generate(prompt, count=count, seed=seed, seconds=bar.seconds(),
                                      variation=bar.variation.value(), options=bar.generator_options())
        if job is not None:
            self.statusBar().showMessage(f"Generating “{prompt}” (seed {seed})…")
            self.tracker.track(job, f"Generating “{prompt}”")

    def more_like_this(self, clip: Clip | None = None) -> None:
        """Replace the tiles with variations of ``clip`` (default: the sound on show)."""
        clip = clip or self.project.clip
        if clip is None:
            return
        self.refiner.cancel()
        job = self.prompting.more_like(clip, count=self.prompt_bar.count.value(),
                                       seed=self.prompt_bar.seed.value())
        if job is not None:
            self.statusBar().showMessage(f"More like “{clip.name}”…")
            self.tracker.track(job, f"More like “{clip.name}”")

    def _show_results(self, clips: list[Clip], label: str) -> None:
        self.prompting.show_tiles(clips, label)

    def _announce_results(self, clips: list[Clip], label: str) -> None:
        self.statusBar().showMessage(f"{len(clips)} sounds: click a tile or press 1–{min(9, len(clips))}; "
                                     "K keeps one, M gives more like it.", 6000)
        if clips:
            self.tile_grid.activate(0)

    @Slot(int)
    def audition_tile(self, index: int) -> None:
        if 0 <= index < len(self.project.tiles):
            self.audition(self.project.tiles[index])

    def blend_with(self, clip: Clip, letter: str) -> None:
        """Put a tile into blend slot ``letter`` (its finished sound, never a draft) and show
        the blend view."""
        model = self.prompt_engine.model if self.prompt_engine is not None else None
        self.refiner.finished(clip, model, lambda done: self.blend_panel.set_source(letter, done))
        self.views.setCurrentWidget(self.blend_panel)

    def add_blend_tile(self, clip: Clip) -> Clip:
        self.project.checkpoint("Add blend")
        self.project.add_tiles([clip])
        self.project.set_clip(clip)
        self.statusBar().showMessage(f"Added to the tiles: {clip.name}", 5000)
        return clip

    def export_blend(self, clip: Clip) -> None:
        self.add_blend_tile(clip)
        self.export_dialog()

    def show_library_sound(self, clip: Clip, scrubbing: bool) -> None:
        """A sound from the map: a file or a synthesised point. While the cursor
        drags, each new sound loops on from the playhead, so the change is heard
        as a continuous sound rather than restarts."""
        self.views.setCurrentIndex(0)
        if not scrubbing:
            self.audition(clip)
            return
        position = int(self.player.position_seconds * clip.sample_rate) if self.player.is_playing else 0
        self.project.set_clip(clip)
        if not self.player.play(clip.playback, start_frame=position % max(1, clip.frames),
                                loop=True):
            self.show_error(self.player.status_text)

    # -- library, models ---------------------------------------------------------
    def import_library_dialog(self) -> None:
        self.areas.setCurrentWidget(self.library_panel)
        self.library_panel._import_dialog()

    def train_on_folder(self, folder) -> None:
        """Ask for a name, then fine-tune on ``folder`` in the background (train lane)."""
        from sketchpad.training.finetune import check_model_name

        if folder is None:
            self.show_error("Import a folder in the Library tab first.")
            return
        name, ok = QInputDialog.getText(self, "Train on library",
                                        f"Name of the new model (trained on {Path(folder).name}):",
                                        text=f"{Path(folder).name}-tuned")
        if not ok:
            return
        try:
            name = check_model_name(name.strip())
        except SketchpadError as err:
            self.show_error(str(err))
            return
        self.start_training(folder, name)

    def start_training(self, folder, name: str, **options):
        from sketchpad.training.finetune import finetune

        job = self.workspace.train(folder, name, finetune, **options)
        self.tracker.track(job, f"Training “{name}”")
        return job

    def choose_model(self, name: str) -> None:
        """Switch the sound model (and its prompt engines); remembered for the next start."""
        self.settings.setValue("model/name", name)
        self.prompt_bar.set_ready(False, "Loading model…")
        self._load_prompt_engine()

    def audition(self, clip: Clip) -> None:
        """Show ``clip`` and play it from the start at once."""
        if self.project.clip is not clip:
            self.project.set_clip(clip)
        if not self.player.play(clip.playback, loop=self.loop_action.isChecked()):
            self.show_error(self.player.status_text)

    # -- kept tray, removal, undo ------------------------------------------------------
    def toggle_keep(self, clip: Clip | None = None) -> None:
        clip = clip or self.project.clip
        if clip is None:
            return
        self.project.checkpoint("Unkeep" if self.project.is_kept(clip) else "Keep")
        kept = self.project.toggle_kept(clip)
        self.keep_action.setChecked(self.project.clip is not None
                                    and self.project.is_kept(self.project.clip))
        self.statusBar().showMessage(f"{'Kept' if kept else 'Removed from kept'}: {clip.name}", 4000)

    def remove_current(self) -> None:
        clip = self.project.clip
        if clip is None or not any(tile is clip for tile in self.project.tiles):
            return
        self.project.checkpoint("Remove tile")
        self.project.set_tiles([tile for tile in self.project.tiles if tile is not clip])
        if not self.project.is_kept(clip):
            self.player.stop()
            self.project.set_clip(self.project.tiles[0] if self.project.tiles else None)

    def undo(self) -> None:
        self._step_history(backwards=True)

    def redo(self) -> None:
        self._step_history(backwards=False)

    def _step_history(self, *, backwards: bool) -> None:
        self.shaping.forget()  # a slider result still on its way must not land
        history = self.project.history
        label = history.undo_label if backwards else history.redo_label
        playing = self.player.is_playing
        if not (self.project.undo() if backwards else self.project.redo()):
            return
        clip = self.project.clip
        if clip is None:
            self.player.stop()
        elif playing:
            self.player.play(clip.playback, loop=self.loop_action.isChecked())
        verb = "Undid" if backwards else "Redid"
        self.statusBar().showMessage(f"{verb}: {label}", 4000)

    def _refresh_undo_actions(self) -> None:
        history = self.project.history
        for action, verb, label in ((self.undo_action, "Undo", history.undo_label),
                                    (self.redo_action, "Redo", history.redo_label)):
            action.setEnabled(label is not None)
            action.setText(f"&{verb} {label}" if label else f"&{verb}")
            action.setIconText(verb)  # the toolbar keeps its width

    # -- sliders -----------------------------------------------------------------------
    @Slot(object)
    def shape(self, state) -> None:
        """The sliders moved: the shaping session re-decodes the sound on show."""
        if self.prompt_engine is not None:
            self.refiner.cancel()  # the move's draft first; the refiner follows when it rests
            self.shaping.move(state, self.prompt_engine.model)

    def _play_shaped(self, new: Clip) -> None:
        # Hear the change at once: continue from the playhead, or start the sound over.
        playing = self.player.is_playing
        position = int(self.player.position_seconds * new.sample_rate) if playing else 0
        self.player.play(new.playback, start_frame=position, loop=self.loop_action.isChecked())

    # -- drafts ------------------------------------------------------------------------
    def _schedule_refine(self, *_) -> None:
        """A draft appeared: finish the drafts once nothing has changed for a moment."""
        if self.refiner.drafts():
            self._refine_timer.start()  # restarts: a slider drag keeps postponing it

    def _refine_drafts(self) -> None:
        if self.prompt_engine is not None:
            self.refiner.refine(self.prompt_engine.model)

    def _keep_playing(self, new: Clip) -> None:
        """The sound on show was finished: a playing sound goes on from the playhead in it."""
        if self.player.is_playing:
            self._play_shaped(new)

    # -- export and drag out ---------------------------------------------------------
    def export_current(self) -> None:
        """Ctrl+E: write the current sound into the export folder under a free name."""
        clip = self.project.clip
        if clip is None:
            self.show_error("Nothing to export: load or generate a sound first.")
            return
        folder = self.export_settings.folder
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            self.show_error(f"Can't create the export folder {folder}: {err.strerror or err}")
            return
        self.export_to(free_path(folder, clip.name, ".wav"))

    def export_dialog(self) -> None:
        clip = self.project.clip
        if clip is None:
            return
        folder = self.export_settings.folder
        path, _ = QFileDialog.getSaveFileName(self, "Export WAV", str(folder / f"{clip.name}.wav"),
                                              "WAV audio (*.wav)")
        if path:
            self.export_to(path)

    def export_to(self, path) -> None:
        """Write the current clip as WAV in the background, in the preferred format."""
        clip = self.project.clip
        if clip is None:
            self.show_error("Nothing to export: load or generate a sound first.")
            return
        model = self.prompt_engine.model if self.prompt_engine is not None else None
        self.refiner.finished(clip, model, lambda done: self.tracker.track(
            self.workspace.export_wav(done, path, bit_depth=self.export_settings.bit_depth,
                                      rate=self.export_settings.rate),
            f"Exporting {Path(path).name}"))

    def drag_out(self, clip: Clip | None, widget) -> None:
        """Drag ``clip`` out of the window as a WAV file (written into the export folder)."""
        if clip is None:
            return
        model = self.prompt_engine.model if self.prompt_engine is not None else None
        if clip.origin.draft and model is not None:  # what leaves the app is never a draft
            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            try:
                clip = self.refiner.finish_now(clip, model)
            except Exception as err:  # noqa: BLE001 - as a job's error: the drag is dropped, the app goes on
                self.show_error(describe_error(f"Finishing '{clip.name}' for the drag", err))
                return
            finally:
                QApplication.restoreOverrideCursor()
        try:
            start_wav_drag(widget, clip, self.export_settings.folder,
                           bit_depth=self.export_settings.bit_depth, rate=self.export_settings.rate)
        except (SketchpadError, OSError) as err:
            self.show_error(f"Can't drag '{clip.name}' out: {err}")

    def show_preferences(self) -> None:
        dialog = PreferencesDialog(self.export_settings, self, midi=self.kit_binding.midi_choice())
        if dialog.exec():
            self.kit_binding.choose_midi_port(dialog.midi_port())
            self.player.set_buffer_periods(audio_buffer_periods(self.settings))

    # -- session -----------------------------------------------------------------------
    def _restore_session(self) -> None:
        self.tracker.track(self.workspace.restore_session(), "Restoring the last session")

    def _on_session_loaded(self, session: Session) -> None:
        self.session_restored = True
        pristine = not (self.project.tiles or self.project.kept or self.project.clip
                        or self.project.history.undo_label or self.blend_panel.source_clips()
                        or self.kit.clips())
        if not pristine:
            return  # the user started working before the old session arrived: theirs wins
        self.project.prompt_history[:] = session.prompt_history
        self.prompt_bar.set_values(session.settings.get("prompt_bar", {}))
        self.project.restore(session.state)
        self.blend_panel.restore(session.blend_sources, session.settings.get("blend", {}))
        self.kit.restore(session.kit)
        self.project.history.clear()
        self._refresh_undo_actions()
        if session.notes:
            self.show_error(session.notes[0])
        elif session.state.tiles or session.state.kept or session.blend_sources or self.kit.clips():
            self.statusBar().showMessage("Restored the last session.", 4000)

    def session(self) -> Session:
        return Session(self.project.state(), list(self.project.prompt_history),
                       {"prompt_bar": self.prompt_bar.values(),
                        "blend": self.blend_panel.controls()},
                       blend_sources=self.blend_panel.source_clips(), kit=self.kit.state())

    def _schedule_autosave(self) -> None:
        self._refresh_undo_actions()
        # Started once per burst, not restarted: a long slider drag still saves every second.
        if self.session_restored and not self._autosave_timer.isActive():
            self._autosave_timer.start()

    def autosave(self) -> None:
        """Save the session in the background (autosave runs a second after a change)."""
        self.workspace.autosave(self.session())

    # -- playback ------------------------------------------------------------------
    @Slot()
    def toggle_playback(self) -> None:
        if self.views.currentWidget() is self.blend_panel:
            self.blend_panel.toggle_play()
            return
        clip = self.project.clip
        if clip is None:
            return
        if self.player.is_playing:
            self.player.stop()
            return
        start = int(self.sound_view.playhead_seconds * clip.sample_rate)
        if start >= clip.frames - 1:
            start = 0
        if not self.player.play(clip.playback, start_frame=start, loop=self.loop_action.isChecked()):
            self.show_error(self.player.status_text)
        self._poll_audio_device()

    @Slot(float)
    def seek(self, seconds: float) -> None:
        clip = self.project.clip
        if clip is None:
            return
        if self.player.is_playing:
            self.player.seek(int(seconds * clip.sample_rate))
        self._set_playhead(seconds)

    def _on_loop_toggled(self) -> None:
        self.player.set_loop(self.loop_action.isChecked())

    def _set_playhead(self, seconds: float) -> None:
        self.sound_view.set_playhead(seconds)
        clip = self.project.clip
        total = clip.duration_seconds if clip else 0.0
        self.time_label.setText(f"{format_time(seconds)} / {format_time(total)}")

    def _update_playhead(self) -> None:
        if self.blend_panel.playing:
            return  # the blend view follows its own playhead
        if self.player.is_playing:
            self._set_playhead(self.player.position_seconds)
        elif self.project.clip is not None:
            self._set_playhead(self.sound_view.playhead_seconds)

    def _poll_audio_device(self) -> None:
        self.player.poll()
        text = self.player.status_text
        self.audio_label.setText(text if "audio" in text.lower() else f"Audio: {text}")
        self._check_gpu_fallback()

    def _check_gpu_fallback(self) -> None:
        from sketchpad.engine.device import gpu_fallback_notice

        notice = gpu_fallback_notice()
        if notice and not self.device_label.text().endswith("(GPU out of memory)"):
            self.device_label.setText("Compute: CPU (GPU out of memory)")
            self.show_error(notice)

    # -- status --------------------------------------------------------------------
    @Slot(str)
    def show_error(self, message: str) -> None:
        self.statusBar().showMessage(f"⚠ {message}", 12000)

    def _probe_compute_device(self) -> None:
        from sketchpad.engine.registry import list_models

        models = list_models()
        self.model_label.setText(f"Model: {models[0].name}" if models else "Model: none installed")
        self.prompting.device.connect(lambda text: self.device_label.setText(f"Compute: {text}"))
        self.prompting.probe_device()

    def show_about(self) -> None:
        QMessageBox.about(self, f"About {PROJECT_NAME}", about_html())

    # -- drag and drop ---------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.open_files(paths)

    # -- layout persistence and shutdown -----------------------------------------------
    def _restore_layout(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.settings.value("window/state")
        if state is not None:
            self.restoreState(state)
        for key, splitter in (("window/splitter", self.splitter),
                              ("window/main_splitter", self.main_splitter)):
            state = self.settings.value(key)
            if state is not None:
                splitter.restoreState(state)

    def closeEvent(self, event) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("window/splitter", self.splitter.saveState())
        self.settings.setValue("window/main_splitter", self.main_splitter.saveState())
        self.settings.sync()
        for timer in (self._playhead_timer, self._device_timer, self._autosave_timer,
                      self._refine_timer):
            timer.stop()
        self.blend_panel.shutdown()
        self.kit_binding.shutdown()
        self.player.close()
        self.pool.shutdown()
        if self.session_restored:
            self.workspace.save_now(self.session())
        super().closeEvent(event)
