from sketchpad.ui.slider_panel import SliderPanel


def test_panel_emits_state_and_resets(qtbot):
    panel = SliderPanel()
    qtbot.addWidget(panel)
    assert not panel.isEnabled()  # no model directions yet
    panel.set_directions(["Brightness", "Attack", "PC 3"])
    assert panel.isEnabled()
    states = []
    panel.changed.connect(states.append)
    panel.slider("Brightness").setValue(150)
    panel.slider("Amplify").setValue(50)
    assert states[-1].directions == {"Brightness": 1.5, "Attack": 0.0, "PC 3": 0.0}
    assert states[-1].gain == 0.5 and not states[-1].is_neutral()
    count = len(states)
    panel.reset()
    assert len(states) == count + 1  # one signal for the whole reset
    assert states[-1].is_neutral()


def test_randomise_moves_only_directions(qtbot):
    panel = SliderPanel()
    qtbot.addWidget(panel)
    panel.set_directions(["Brightness", "Decay"])
    states = []
    panel.changed.connect(states.append)
    panel.randomise_directions()
    state = states[-1]
    assert any(state.directions.values())
    assert state.gain == 1.0 and state.noise == 0.0 and state.smoothing == 0.0
    panel.randomise_directions()
    assert states[-1].directions != state.directions  # a new draw each time
