"""A GPU that runs out of memory mid-job: the model moves to the CPU and the job still ends.

There is no GPU here, so the GPU is a test double: ``Tensor.to("cuda")`` stays
on the CPU, and the network raises CUDA's out-of-memory error on its first
call while the model believes it is on the GPU. Everything else is the real
model code.
"""

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from sketchpad.engine import device as device_module
from sketchpad.engine.model import SoundModel


class _OutOfMemoryOnce(torch.nn.Module):
    """Wraps a network; the first call made while the model is 'on the GPU' fails."""

    def __init__(self, net, model):
        super().__init__()
        self.net, self.model, self.failures = net, model, 0

    def forward(self, *args):
        if self.model.device == "cuda" and self.failures == 0:
            self.failures += 1
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return self.net(*args)


@pytest.fixture
def pretend_gpu(monkeypatch):
    """Tensors sent to 'cuda' stay on the CPU; the fallback notice starts unset."""
    real_to = torch.Tensor.to

    def to(self, *args, **kwargs):
        if args and str(args[0]).startswith("cuda"):
            return self
        return real_to(self, *args, **kwargs)

    monkeypatch.setattr(torch.Tensor, "to", to)
    monkeypatch.setattr(device_module, "_fallback_notice", None)


def _on_pretend_gpu(folder) -> SoundModel:
    model = SoundModel.load(folder, device="cpu")
    model.device = "cuda"
    return model


def test_decode_out_of_memory_moves_to_cpu_and_gives_the_same_audio(tiny_model_dir, pretend_gpu):
    reference = SoundModel.load(tiny_model_dir, device="cpu")
    z = np.random.default_rng(0).standard_normal((2, reference.latent_channels, 40)).astype(np.float32)
    expected = reference.decode(z)
    model = _on_pretend_gpu(tiny_model_dir)
    model.vae.decoder = _OutOfMemoryOnce(model.vae.decoder, model)
    assert device_module.compute_device() in ("cpu", "cuda")
    audio = model.decode(z)
    np.testing.assert_array_equal(audio, expected)
    assert model.device == "cpu" and model.vae.decoder.failures == 1
    assert "ran out of memory" in device_module.gpu_fallback_notice()
    assert device_module.compute_device() == "cpu"  # models loaded from now on use the CPU


def test_encode_falls_back_too_and_cpu_errors_pass_through(tiny_model_dir, pretend_gpu):
    model = _on_pretend_gpu(tiny_model_dir)
    model.vae.encoder = _OutOfMemoryOnce(model.vae.encoder, model)
    audio = np.random.default_rng(1).uniform(-0.5, 0.5, 44100).astype(np.float32)
    assert model.encode(audio).shape[0] == 1 and model.device == "cpu"

    on_cpu = SoundModel.load(tiny_model_dir, device="cpu")
    on_cpu.vae.decoder = _OutOfMemoryOnce(on_cpu.vae.decoder, SimpleNamespace(device="cuda"))
    with pytest.raises(torch.cuda.OutOfMemoryError):  # on the CPU there is nowhere to go
        on_cpu.decode(np.zeros((1, on_cpu.latent_channels, 8), np.float32))
