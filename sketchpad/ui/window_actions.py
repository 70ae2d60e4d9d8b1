"""The main window's commands and status bar: actions with their shortcuts, menus, toolbar.

Declarative: each action calls a method of the window, which holds the
behaviour; the actions the window enables and checks later stay its attributes
(``window.export_action``, ``window.loop_action``…).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QToolBar

from sketchpad.core.workspace import format_time
from sketchpad.ui.wav_out import DragHandle


def _action(window, text: str, slot, shortcut=None, tip: str = "") -> QAction:
    action = QAction(text, window)
    shortcuts = shortcut if isinstance(shortcut, list) else [shortcut] if shortcut is not None else []
    if shortcuts:
        action.setShortcuts([QKeySequence(s) for s in shortcuts])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    keys = f" ({action.shortcut().toString()})" if shortcuts else ""
    action.setToolTip(f"{tip or text.replace('&', '').rstrip('.…')}{keys}")
    action.triggered.connect(slot)
    window.addAction(action)
    return action


def build_actions(window) -> None:
    """The window's commands: actions with their shortcuts, the menus and the toolbar."""
    w, keys = window, QKeySequence.StandardKey
    w.open_action = _action(w, "&Open…", w.open_dialog, keys.Open, "Open audio files as new tiles")
    w.export_action = _action(w, "&Export WAV", w.export_current, "Ctrl+E",
                              "Export the current sound into the export folder")
    w.export_as_action = _action(w, "Export WAV &As…", w.export_dialog, "Ctrl+Shift+E",
                                 "Export the current sound under a name you choose")
    prefs_action = _action(w, "&Preferences…", w.show_preferences, keys.Preferences,
                           "Export format and folder")
    if prefs_action.shortcut().isEmpty():
        prefs_action.setShortcut(QKeySequence("Ctrl+,"))
    quit_action = _action(w, "&Quit", w.close, keys.Quit)
    w.undo_action = _action(w, "&Undo", w.undo, keys.Undo)
    w.redo_action = _action(w, "&Redo", w.redo, ["Ctrl+Shift+Z", "Ctrl+Y"])
    w.keep_action = _action(w, "&Keep / Unkeep", lambda: w.toggle_keep(), Qt.Key.Key_K,
                            "Star the current sound into the kept tray")
    w.keep_action.setCheckable(True)
    w.more_action = _action(w, "&More Like This", lambda: w.more_like_this(), Qt.Key.Key_M,
                            "Variations of the current sound")
    w.remove_action = _action(w, "&Remove Tile", w.remove_current, Qt.Key.Key_Delete,
                              "Remove the current sound from the tiles")
    w.play_action = _action(w, "&Play / Stop", w.toggle_playback, Qt.Key.Key_Space, "Play or stop")
    w.loop_action = _action(w, "&Loop", w._on_loop_toggled, Qt.Key.Key_L, "Loop playback")
    w.loop_action.setCheckable(True)
    w.put_on_pad_action = _action(w, "Put on &Pad", lambda: w.kit_binding.put_on_pad(), Qt.Key.Key_P,
                                  "Put the current sound on a kit pad")
    w.pattern_action = _action(w, "Play / Stop &Pattern", lambda: w.kit_binding.panel.toggle_pattern(),
                               "Shift+Space", "Loop the kit's pattern")
    w.computer_keys_action = _action(w, "&Computer Keyboard Plays", w.kit_binding.set_computer_keys,
                                     "Ctrl+K", "A W S E D F T G Y H U J K play notes; Z/X octave")
    w.computer_keys_action.setCheckable(True)
    for number in range(1, 10):
        _action(w, f"Audition {number}", lambda _=False, i=number - 1: w.tile_grid.activate(i),
                getattr(Qt.Key, f"Key_{number}"))
    _action(w, "Focus prompt", lambda: w.prompt_bar.edit.setFocus(), "Ctrl+L")
    about_action = _action(w, "&About Sketchpad", w.show_about)
    demo_action = _action(w, "Open &Demo Sound", w.open_demo, tip="Open a bundled demo groove")
    for action in (window.export_action, window.export_as_action, window.keep_action,
                   window.more_action, window.remove_action):
        action.setEnabled(False)

    menu = window.menuBar()
    file_menu = menu.addMenu("&File")
    for action in (window.open_action, window.export_action, window.export_as_action, None,
                   prefs_action, None, quit_action):
        file_menu.addSeparator() if action is None else file_menu.addAction(action)
    edit_menu = menu.addMenu("&Edit")
    for action in (window.undo_action, window.redo_action, None, window.keep_action,
                   window.more_action, window.remove_action):
        edit_menu.addSeparator() if action is None else edit_menu.addAction(action)
    play_menu = menu.addMenu("&Playback")
    play_menu.addAction(window.play_action)
    play_menu.addAction(window.loop_action)
    play_menu.addSeparator()
    for action in (window.put_on_pad_action, window.pattern_action, window.computer_keys_action):
        play_menu.addAction(action)
    window.model_menu = menu.addMenu("&Model")
    window.model_menu.aboutToShow.connect(lambda: fill_model_menu(window))
    library_menu = menu.addMenu("&Library")
    library_menu.addAction(_action(window, "&Import Folder…", window.import_library_dialog,
                                   tip="Show a sample folder as a 2D latent map"))
    window.train_action = _action(window, "&Train on Library…", lambda: window.train_on_folder(
        window.library_panel.library.folder if window.library_panel.library else None),
        tip="Fine-tune the sound model and the retrieval engine on the imported folder")
    library_menu.addAction(window.train_action)
    help_menu = menu.addMenu("&Help")
    help_menu.addAction(demo_action)
    help_menu.addAction(about_action)

    toolbar = QToolBar("Transport")
    toolbar.setObjectName("transportToolbar")
    toolbar.setMovable(False)
    for action in (window.open_action, window.play_action, window.loop_action, None,
                   window.undo_action, window.redo_action, None, window.keep_action,
                   window.more_action, window.export_action):
        toolbar.addSeparator() if action is None else toolbar.addAction(action)
    window.drag_handle = DragHandle(lambda widget: window.drag_out(window.project.clip, widget))
    toolbar.addWidget(window.drag_handle)
    toolbar.addSeparator()
    window.time_label = QLabel(format_time(0) + " / " + format_time(0))
    window.time_label.setObjectName("timeLabel")
    toolbar.addWidget(window.time_label)
    window.addToolBar(toolbar)


def fill_model_menu(window) -> None:
    """The installed sound models, the current one checked; one without a prompt index is greyed."""
    from sketchpad.engine.registry import list_models

    menu = window.model_menu
    menu.clear()
    current = window.prompt_engine.model.name if window.prompt_engine is not None else None
    for folder in list_models():
        action = menu.addAction(folder.name)
        action.setCheckable(True)
        action.setChecked(folder.name == current)
        usable = (folder.parent / f"{folder.name}-retrieval").is_dir()
        action.setEnabled(usable)
        if not usable:
            action.setToolTip("No prompt index beside this model")
        action.triggered.connect(lambda _=False, n=folder.name: window.choose_model(n))


def build_status_bar(window) -> None:
    """Progress, cancel, model, compute device and audio state at the window's foot."""
    bar = window.statusBar()
    window.progress = QProgressBar()
    window.progress.setRange(0, 1000)
    window.progress.setFixedWidth(240)
    window.progress.setVisible(False)
    window.cancel_button = QPushButton("Cancel")
    window.cancel_button.setToolTip("Cancel the running job (Esc)")
    window.cancel_button.setShortcut(QKeySequence(Qt.Key.Key_Escape))
    window.cancel_button.setVisible(False)
    window.model_label = QLabel("Model: none installed")
    window.device_label = QLabel("Compute: detecting…")
    window.audio_label = QLabel("Audio: idle")
    for widget in (window.progress, window.cancel_button, window.model_label,
                   window.device_label, window.audio_label):
        bar.addPermanentWidget(widget)
