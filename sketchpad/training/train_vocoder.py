"""Training the mel vocoder: reconstruction losses first, then adversarial fine-tuning.

Data: the dataset's one-shots and phrases plus recorded music
(:mod:`sketchpad.training.music`), mixed per batch. Each crop is turned into
its log-mel on the fly (the same :func:`~sketchpad.engine.features.log_mel`
the app uses), the vocoder renders it, and the losses compare the render with
the crop: L1 of log-mels plus the multi-resolution STFT loss; from
``adversarial_from`` on, also least-squares GAN and feature-matching losses
from small multi-period and multi-resolution discriminators.

Resumable: a run continues from ``run_dir/checkpoint``; a new run can warm
start from a shipped vocoder (``initial``). Checkpoints are safetensors.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from sketchpad.engine.features import log_mel
from sketchpad.engine.vocoder import MelVocoderNet, VocoderConfig
from sketchpad.training.checkpoint import load_checkpoint, save_checkpoint
from sketchpad.training.losses import multi_resolution_stft_loss
from sketchpad.training.schedule import cosine_learning_rate


@dataclass
class VocoderTrainConfig:
    steps: int = 60000
    batch_size: int = 8
    segment_samples: int = 32768
    learning_rate: float = 5e-4
    final_learning_rate: float = 2e-5
    warmup_steps: int = 500
    mel_weight: float = 1.0
    stft_weight: float = 1.0
    adversarial_from: int | None = None  # step at which the discriminators join (None: never)
    reconstruction_scale: float = 15.0  # weight of mel + STFT once the adversarial losses join
    feature_weight: float = 2.0
    # The discriminators see one random window of this many samples per crop:
    # a quarter of the crop, so an adversarial step costs about 2x a plain one on a CPU.
    adversarial_window: int = 8192
    music_fraction: float = 0.5
    bf16: bool = False
    checkpoint_every: int = 250
    log_every: int = 50
    seed: int = 0
    architecture: VocoderConfig = field(default_factory=VocoderConfig)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["architecture"] = self.architecture.to_dict()
        return data


class MixedBank:
    """Batches drawn from several banks, each row from bank i with probability ``fractions[i]``."""

    def __init__(self, banks, fractions):
        pairs = [(b, f) for b, f in zip(banks, fractions) if b is not None and f > 0]
        if not pairs:
            raise ValueError("no training audio")
        self.banks = [b for b, _ in pairs]
        weights = np.array([f for _, f in pairs], np.float64)
        self.weights = weights / weights.sum()

    def batch(self, rng: np.random.Generator, size: int, samples: int) -> np.ndarray:
        choice = rng.choice(len(self.banks), size=size, p=self.weights)
        out = np.zeros((size, samples), np.float32)
        for index, bank in enumerate(self.banks):
            rows = np.flatnonzero(choice == index)
            if rows.size:
                out[rows] = bank.batch(rng, rows.size, samples)
        return out


def train_vocoder(bank, run_dir, config: VocoderTrainConfig, *, log=print, initial=None, start_step=0,
                  should_stop=lambda: False, max_seconds: float | None = None) -> MelVocoderNet:
    """Train (or resume) in ``run_dir`` until ``config.steps``, ``should_stop()`` or
    ``max_seconds``; always leaves a checkpoint. Returns the network on the CPU.

    ``initial``: a network whose weights a new run starts from (a checkpoint in
    ``run_dir`` takes precedence), at schedule step ``start_step``."""
    from sketchpad.training.discriminators import (Discriminators, discriminator_loss,
                                                   feature_matching_loss, generator_loss)

    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.manual_seed(config.seed)
    net = MelVocoderNet(config.architecture)
    if initial is not None:
        net.load_state_dict({k: v.float() for k, v in initial.state_dict().items()})
    net = net.to(device)
    discriminators = Discriminators().to(device)
    opt_g = torch.optim.AdamW(net.parameters(), lr=config.learning_rate, betas=(0.8, 0.99),
                              weight_decay=1e-4)
    opt_d = torch.optim.AdamW(discriminators.parameters(), lr=config.learning_rate, betas=(0.8, 0.99),
                              weight_decay=1e-4)
    rng = np.random.default_rng(config.seed)
    parts = {"vocoder": (net, opt_g), "discriminators": (discriminators, opt_d)}
    ckpt = Path(run_dir) / "checkpoint"
    step, history, _ = load_checkpoint(ckpt, parts, rng)
    if not step and start_step:
        step = start_step  # a warm start continues its learning-rate schedule
        rng = np.random.default_rng([config.seed, start_step])
    elif step:
        log(f"resuming from step {step}")
    spectral = config.architecture.spectral
    began = last_time = time.perf_counter()
    last_step = step
    autocast = torch.autocast(torch.device(device).type, dtype=torch.bfloat16, enabled=config.bf16)
    while step < config.steps and not should_stop():
        if max_seconds is not None and time.perf_counter() - began > max_seconds:
            break
        adversarial = config.adversarial_from is not None and step >= config.adversarial_from
        lr = cosine_learning_rate(config, step)
        for opt in (opt_g, opt_d):
            for group in opt.param_groups:
                group["lr"] = lr
        wave = torch.from_numpy(bank.batch(rng, config.batch_size, config.segment_samples)).to(device)
        mel = log_mel(wave, spectral)
        with autocast:
            spec = net.spectrum(mel)
        estimate = net.waveform(spec, wave.shape[-1])
        loss_mel = torch.nn.functional.l1_loss(log_mel(estimate, spectral), mel)
        loss_stft = multi_resolution_stft_loss(estimate, wave)
        reconstruction = config.mel_weight * loss_mel + config.stft_weight * loss_stft
        loss_adv = loss_fm = loss_d = torch.zeros((), device=device)
        if adversarial:
            offset = int(rng.integers(0, max(1, wave.shape[-1] - config.adversarial_window + 1)))
            window = slice(offset, offset + config.adversarial_window)
            real, fake = wave[:, window], estimate[:, window]
            with autocast:
                fake_d = discriminators(fake.detach())
                real_d = discriminators(real)
            loss_d = discriminator_loss(real_d, fake_d)
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            torch.nn.utils.clip_grad_norm_(discriminators.parameters(), 10.0)
            opt_d.step()
            with autocast:
                fake_g = discriminators(fake)
                real_g = discriminators(real)
            loss_adv = generator_loss(fake_g)
            loss_fm = feature_matching_loss(real_g, fake_g)
            loss = config.reconstruction_scale * reconstruction + loss_adv + config.feature_weight * loss_fm
        else:
            loss = reconstruction
        opt_g.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 10.0 if adversarial else 1.0)
        opt_g.step()
        step += 1
        history.append([step, round(loss_mel.item(), 5), round(loss_stft.item(), 5),
                        round(loss_adv.item(), 5), round(loss_fm.item(), 5), round(loss_d.item(), 5)])
        if step % config.log_every == 0 or step == config.steps:
            now = time.perf_counter()
            rate = (step - last_step) / max(1e-9, now - last_time)
            last_step, last_time = step, now
            recent = np.array(history[-config.log_every:])[:, 1:]
            means = recent.mean(axis=0)
            log(f"step {step}/{config.steps}  mel {means[0]:.4f}  stft {means[1]:.4f}  "
                f"adv {means[2]:.3f}  fm {means[3]:.3f}  disc {means[4]:.3f}  "
                f"lr {lr:.2e}  {rate:.2f} steps/s")
        if step % config.checkpoint_every == 0:
            save_checkpoint(ckpt, parts, step, rng, history, {"training": config.to_dict()})
    save_checkpoint(ckpt, parts, step, rng, history, {"training": config.to_dict()})
    return net.cpu().eval()
