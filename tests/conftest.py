"""Test setup shared by the whole suite.

Runs before any test module imports sounddevice or PySide6, so the
environment set here is what PortAudio and Qt see when they initialise:
Qt renders offscreen, and ALSA's default output is a null device, so the
playback tests open a real PortAudio stream on a machine with no sound card.
"""

import os
from pathlib import Path

_HERE = Path(__file__).resolve().parent
_SYSTEM_ALSA_CONF = Path("/usr/share/alsa/alsa.conf")

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if _SYSTEM_ALSA_CONF.exists():
    os.environ["ALSA_CONFIG_PATH"] = f"{_SYSTEM_ALSA_CONF}:{_HERE / 'asound-null.conf'}"
# Keep settings, caches and sessions of test runs away from the user's own.
os.environ.setdefault("SKETCHPAD_HOME", str(_HERE.parent / ".pytest_cache" / "sketchpad-home"))


import pytest  # noqa: E402 (the environment above must be set first)


@pytest.fixture(scope="session")
def timgm():
    """The small TimGM6mb font (always present with pretty_midi, a test extra)."""
    from sketchpad.training import soundfonts

    fonts = [f for f in soundfonts.available_soundfonts() if f.name == "TimGM6mb"]
    # pretty_midi is installed with the test extras, so its font must be there: fail, never skip.
    assert fonts, "TimGM6mb (shipped inside pretty_midi) not found"
    return fonts[0]


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """One small, randomly initialised sound model: untrained on purpose, for tests of
    plumbing (shapes, chunking, files, blending maths) that need no good sound."""
    import torch

    from sketchpad.engine.model import save_sound_model
    from sketchpad.engine.vae import SoundVAE, VAEConfig

    torch.manual_seed(0)
    tiny = VAEConfig(encoder_dim=32, encoder_blocks=1, decoder_dim=32, decoder_blocks=1)
    return save_sound_model(tmp_path_factory.mktemp("m") / "tiny", SoundVAE(tiny), name="tiny")


@pytest.fixture(scope="session")
def tiny_model(tiny_model_dir):
    from sketchpad.engine.model import SoundModel

    return SoundModel.load(tiny_model_dir, device="cpu")


def _tiny_mel_pair(root, **extra_config):
    import torch

    from sketchpad.engine.mel_vae import MelVAE, MelVAEConfig
    from sketchpad.engine.model import SoundModel, save_sound_model
    from sketchpad.engine.vocoder import MelVocoderNet, VocoderConfig, save_vocoder

    torch.manual_seed(0)
    voc = save_vocoder(root / "voc", MelVocoderNet(VocoderConfig(dim=16, blocks=1)), name="voc",
                       extra_config={"refine_iterations": 4, "refine_shape": 0.5})
    vae = MelVAE(MelVAEConfig(latent_channels=8, dim=16, encoder_blocks=1, decoder_blocks=1))
    folder = save_sound_model(root / "mel", vae, name="mel",
                              extra_config={"vocoder": str(voc), **extra_config})
    model = SoundModel.load(folder, device="cpu")
    assert model.vocoder.refine_iterations == 4 and model.notice is None  # the network, not the fallback
    return model


@pytest.fixture(scope="session")
def tiny_mel_model(tmp_path_factory):
    """A v2 pair (latent model over the mel + vocoder network) whose vocoder refines with
    Griffin-Lim: edits with a residual skip the refinement, so the ends must still be exact."""
    return _tiny_mel_pair(tmp_path_factory.mktemp("mel"))


@pytest.fixture(scope="session")
def fitted_mel_model(tmp_path_factory):
    """The same pair, its encoder's latents fitted by a few analysis-by-synthesis steps
    (``encode_fit``), as the shipped model does for sounds up to 30 s."""
    model = _tiny_mel_pair(tmp_path_factory.mktemp("mel-fit"),
                           encode_fit={"steps": 4, "learning_rate": 0.03, "max_seconds": 30})
    assert model.fit_steps_for(44100) == 4
    return model
