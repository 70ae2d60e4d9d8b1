"""The blend view end to end, offscreen, on the shipped model and a real PortAudio
stream: drop A and B, play while it renders, move controls, keyframes, morph
steps as tiles, style, and a bad file that costs nothing."""

import numpy as np
import soundfile as sf
from PySide6.QtCore import QPointF, Qt

from tests.ui.helpers import RATE, drop_files, write_tone

MODEL_TIMEOUT_MS = 60000


def _groove(path, seconds, bpm, freq, channels=2, rate=RATE):
    """A pitched pulse on every beat: something with rhythm to blend and beat-track."""
    t = np.arange(int(seconds * rate)) / rate
    pulse = np.exp(-((t % (60 / bpm)) * 12.0))
    tone = (0.5 * pulse * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    sf.write(path, np.stack([tone] * channels, axis=1), rate)
    return path


def _ready_blend(qtbot, window, tmp_path):
    qtbot.waitUntil(lambda: window.prompt_engine is not None, timeout=MODEL_TIMEOUT_MS)
    panel = window.blend_panel
    window.views.setCurrentWidget(panel)
    drop_files(panel.slots["A"], [_groove(tmp_path / "a.wav", 8.0, 120, 220)])
    drop_files(panel.slots["B"], [_groove(tmp_path / "b.flac", 6.0, 100, 660, channels=1,
                                          rate=48000)])
    qtbot.waitUntil(lambda: panel.result_clip is not None, timeout=MODEL_TIMEOUT_MS)
    return panel


def test_blend_plays_while_rendering_and_follows_the_controls(qtbot, window, tmp_path):
    panel = _ready_blend(qtbot, window, tmp_path)
    assert "8.0 s, stereo" in panel.slots["A"].detail.text()
    assert "6.0 s, mono" in panel.slots["B"].detail.text()
    assert panel.result_clip.frames == 8 * RATE  # A's length; B's rate and channels converted

    window.loop_action.trigger()  # the test's null device plays faster than real time
    panel.toggle_play()
    qtbot.waitUntil(lambda: panel.playing, timeout=5000)
    assert window.player.mixer.clip is panel.render.view and panel.first_audio_ms is not None
    before = panel.render.copy()

    panel.alpha.setValue(100)  # all B, while playing: re-rendered ahead of the playhead
    qtbot.waitUntil(lambda: panel.result_clip is not None and "mix 1.00" in panel.result_clip.name,
                    timeout=MODEL_TIMEOUT_MS)
    assert panel.playing and not np.allclose(panel.render.copy(), before, atol=1e-3)

    panel.mode_group.button(3).click()  # style transfer
    panel.strength.setValue(60)
    qtbot.waitUntil(lambda: panel.result_clip is not None and "style" in panel.result_clip.name,
                    timeout=MODEL_TIMEOUT_MS)
    window.toggle_playback()  # Space on the blend tab stops the blend
    assert not panel.playing

    panel.to_tiles_button.click()
    assert window.project.tiles[-1] is panel.result_clip and window.project.clip is panel.result_clip


def test_timeline_keyframes_with_the_mouse(qtbot, window, tmp_path):
    panel = _ready_blend(qtbot, window, tmp_path)
    panel.mode_group.button(1).click()
    qtbot.wait(20)  # the editor is laid out once shown
    editor = panel.editor
    assert editor.isVisible() and editor.points == ((0.0, 0.0), (8.0, 1.0))

    box = editor.getPlotItem().getViewBox()
    spot = editor.mapFromScene(box.mapViewToScene(QPointF(4.0, 0.8)))
    # A double-click as Qt delivers one: press, release, double-click, release.
    for send in (qtbot.mousePress, qtbot.mouseRelease, qtbot.mouseDClick, qtbot.mouseRelease):
        send(editor.viewport(), Qt.MouseButton.LeftButton, pos=spot)
    assert len(editor.points) == 3
    t, alpha = editor.points[1]
    assert abs(t - 4.0) < 0.2 and abs(alpha - 0.8) < 0.1
    qtbot.waitUntil(lambda: panel.result_clip is not None and "curve" in panel.result_clip.name,
                    timeout=MODEL_TIMEOUT_MS)

    # Dragging the new keyframe (the gesture pyqtgraph hands the view box), snapped to A's beats.
    qtbot.waitUntil(lambda: editor.beats is not None and len(editor.beats) > 4, timeout=30000)
    panel.snap.setChecked(True)
    grab = box.mapViewToScene(QPointF(*editor.points[1]))
    editor.handle_drag(grab, grab, True, False)
    editor.handle_drag(grab, box.mapViewToScene(QPointF(5.1, 0.3)), False, True)
    t, alpha = editor.points[1]
    assert t in editor.beats and abs(t - 5.1) < 0.5 and abs(alpha - 0.3) < 0.05

    spot = editor.mapFromScene(box.mapViewToScene(QPointF(t, alpha)))
    qtbot.mouseClick(editor.viewport(), Qt.MouseButton.RightButton, pos=spot)
    assert editor.points == ((0.0, 0.0), (8.0, 1.0))


def test_morph_steps_become_tiles_from_a_to_b(qtbot, window, tmp_path):
    panel = _ready_blend(qtbot, window, tmp_path)
    panel.mode_group.button(2).click()
    panel.step_count.setValue(4)
    panel.make_steps.click()
    qtbot.waitUntil(lambda: len(window.project.tiles) == 4, timeout=MODEL_TIMEOUT_MS)
    names = [clip.name for clip in window.project.tiles]
    assert names == [f"a → b {i}/4" for i in range(1, 5)]
    alphas = [float(c.origin.recipe.split("alpha ")[1]) for c in window.project.tiles]
    assert alphas[0] == 0.0 and alphas[-1] == 1.0 and alphas == sorted(alphas)

    old_a, old_b = panel.sources["A"], panel.sources["B"]
    panel.swap()
    assert panel.sources["A"] is old_b and panel.sources["B"] is old_a
    assert panel.slots["A"].title.text() == "b"
    qtbot.waitUntil(lambda: panel.render is not None and panel.blender.frames == 6 * RATE,
                    timeout=MODEL_TIMEOUT_MS)  # the blend now takes the new A's length

    window.blend_with(window.project.tiles[3], "A")  # a tile's menu: "Blend as A"
    qtbot.waitUntil(lambda: panel.sources["A"] is not None
                    and panel.sources["A"].clip is window.project.tiles[3]
                    and panel.render is not None, timeout=MODEL_TIMEOUT_MS)


def test_a_bad_file_in_a_slot_is_refused_in_one_line(qtbot, window, tmp_path):
    qtbot.waitUntil(lambda: window.prompt_engine is not None, timeout=MODEL_TIMEOUT_MS)
    panel = window.blend_panel
    good = write_tone(tmp_path / "good.wav", seconds=1.0)
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    drop_files(panel.slots["A"], [good])
    drop_files(panel.slots["B"], [bad])
    qtbot.waitUntil(lambda: "⚠" in panel.slots["B"].detail.text(), timeout=MODEL_TIMEOUT_MS)
    assert "\n" not in panel.slots["B"].detail.text()
    qtbot.waitUntil(lambda: panel.sources["A"] is not None and panel.sources["A"].latents is not None,
                    timeout=MODEL_TIMEOUT_MS)
    assert panel.render is None and not panel.play_button.isEnabled()
    drop_files(panel.slots["B"], [good])  # the app kept running: B can be filled now
    qtbot.waitUntil(lambda: panel.result_clip is not None, timeout=MODEL_TIMEOUT_MS)


def test_a_and_b_slots_and_the_timeline_survive_a_restart(qtbot, window, settings, session_folder,
                                                          tmp_path):
    from sketchpad.audio.playback import Player
    from sketchpad.ui.main_window import MainWindow

    panel = _ready_blend(qtbot, window, tmp_path)
    panel.mode_group.button(1).click()  # Timeline
    panel.interpolation.setCurrentIndex(panel.interpolation.findData("slerp"))
    panel.alpha.setValue(30)
    points = ((0.0, 0.2), (3.5, 0.9), (8.0, 0.4))
    panel.editor._commit(points)  # what a drag commits
    controls = panel.controls()
    a, b = panel.sources["A"].clip, panel.sources["B"].clip
    window.close()

    again = MainWindow(player=Player(), settings=settings, session_folder=session_folder)
    qtbot.addWidget(again)
    restored = again.blend_panel
    qtbot.waitUntil(lambda: restored.result_clip is not None, timeout=MODEL_TIMEOUT_MS)
    assert restored.sources["A"].clip.uid == a.uid and restored.sources["B"].clip.uid == b.uid
    np.testing.assert_array_equal(restored.sources["B"].clip.samples, b.samples)
    assert restored.editor.points == points and restored.session.recipe().points == points
    assert restored.controls() == controls
    assert "curve" in restored.result_clip.name  # it renders the timeline, not the default mix
    again.close()


def test_detail_at_mix_ends_plays_the_files_themselves(qtbot, window, tmp_path):
    from sketchpad.audio.io import load_audio

    panel = _ready_blend(qtbot, window, tmp_path)
    a = load_audio(tmp_path / "a.wav").samples
    for alpha, detail, close in ((0, 100, True), (0, 0, False)):
        panel.session.result_clip = None
        panel.detail.setValue(detail)
        panel.alpha.setValue(alpha)
        panel.start_render()
        qtbot.waitUntil(lambda: panel.result_clip is not None and "mix 0.00" in panel.result_clip.name,
                        timeout=MODEL_TIMEOUT_MS)
        error = float(np.max(np.abs(panel.result_clip.samples - a)))
        assert (error < 1e-4) == close, (detail, error)
