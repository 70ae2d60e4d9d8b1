"""Training the sketch latent over the mel (:class:`sketchpad.engine.mel_vae.MelVAE`).

Crops from the same mixed bank as the vocoder (one-shots, phrases, music)
become log-mels on the fly; the loss is an L1 distance of log-mels weighted
by loudness, plus a small KL term. Plain L1 spends the model on the quiet
floor (85-90 % of the bins) and left harmonic peaks of tonal sounds 10-20 dB
off; the weight rises linearly from 1 at 60 dB below a crop's loudest bin to
``1 + loud_weight`` at it, so the bins a listener hears count most. (Spectral
convergence of the linear magnitudes was tried first: its gradient vanishes
on bins the model underestimates, and it did not train.) Cheap next to the vocoder (no waveform in the loop), so the
compression sweep of the model card trains several of these.
Resumable from ``run_dir/checkpoint`` (safetensors).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from sketchpad.engine.features import log_mel
from sketchpad.engine.mel_vae import LOUD_WEIGHT, MEL_CENTRE, MEL_SCALE, MelVAE, MelVAEConfig, loudness_weight
from sketchpad.training.checkpoint import load_checkpoint, save_checkpoint
from sketchpad.training.discriminators import (MelDiscriminator, discriminator_loss,
                                               feature_matching_loss, generator_loss)
from sketchpad.training.losses import kl_divergence
from sketchpad.training.schedule import cosine_learning_rate


@dataclass
class MelTrainConfig:
    steps: int = 20000
    batch_size: int = 8
    segment_samples: int = 65536  # 128 mel frames, 64 latent frames
    learning_rate: float = 1e-3
    final_learning_rate: float = 2e-5
    warmup_steps: int = 300
    loud_weight: float = LOUD_WEIGHT
    kl_weight: float = 1e-4
    kl_warmup_steps: int = 2000
    music_fraction: float = 0.35
    random_eq_nats: float = 0.0  # 0 = off; else the size of a random smooth EQ on each crop
    encoder_only: bool = False  # decoder frozen, posterior means decoded (no sampling)
    decoder_only: bool = False  # encoder frozen: the latent space, so everything built on it, stays
    adversarial_weight: float = 0.0  # 0 = off; else a mel discriminator's loss, times this
    feature_matching_weight: float = 1.0  # of the discriminator's feature maps, inside the above
    discriminator_learning_rate: float = 2e-4
    bf16: bool = False
    checkpoint_every: int = 500
    log_every: int = 100
    seed: int = 0
    architecture: MelVAEConfig = field(default_factory=MelVAEConfig)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["architecture"] = self.architecture.to_dict()
        return data


EQ_TERMS = 3


def random_eq(mel: torch.Tensor, size_nats: float, generator: torch.Generator,
              floor: float) -> torch.Tensor:
    """Each crop of (B, n_mels, F) log-mels through its own smooth random EQ: a sum of
    EQ_TERMS cosines over the mel bins, each up to ``size_nats`` (0.5 nats is 4.3 dB).
    Timbre variety for a latent trained on few soundfonts (a different instrument
    body or microphone); bins stay at or above ``floor`` (the mel's log floor)."""
    bands = torch.linspace(0.0, torch.pi, mel.shape[1], device=mel.device)
    harmonics = torch.arange(1, EQ_TERMS + 1, device=mel.device, dtype=mel.dtype)
    amplitude = (torch.rand(mel.shape[0], EQ_TERMS, generator=generator) * 2 - 1).to(mel) * size_nats
    curve = amplitude @ torch.cos(harmonics[:, None] * bands[None, :])  # (B, n_mels)
    return (mel + curve[..., None]).clamp(min=floor)


def train_mel_vae(bank, run_dir, config: MelTrainConfig, *, log=print, initial=None,
                  start_step: int = 0, should_stop=lambda: False, max_seconds: float | None = None,
                  on_step=None) -> MelVAE:
    """Train (or resume) in ``run_dir``; returns the model on the CPU in eval mode.

    ``initial``: a MelVAE whose weights a new run starts from (fine-tuning);
    a checkpoint in ``run_dir`` takes precedence; ``start_step`` is where its
    learning-rate schedule continues. ``on_step(step, steps)`` is called after
    every step (progress reporting).
    """
    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.manual_seed(config.seed)
    model = MelVAE(config.architecture)
    if initial is not None:
        model.load_state_dict({k: v.float() for k, v in initial.state_dict().items()})
    model = model.to(device)
    if config.encoder_only and config.decoder_only:
        raise ValueError("encoder_only and decoder_only exclude each other")
    if config.encoder_only:
        model.decoder.requires_grad_(False)
    if config.decoder_only:
        model.encoder.requires_grad_(False)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=config.learning_rate, betas=(0.9, 0.99),
                                  weight_decay=1e-4)
    rng = np.random.default_rng(config.seed)
    parts = {"mel_vae": (model, optimizer)}
    judge = None
    if config.adversarial_weight > 0:
        judge = MelDiscriminator().to(device)
        judge_optimizer = torch.optim.AdamW(judge.parameters(), lr=config.discriminator_learning_rate,
                                            betas=(0.8, 0.99))
        parts["mel_discriminator"] = (judge, judge_optimizer)
    ckpt = Path(run_dir) / "checkpoint"
    step, history, _ = load_checkpoint(ckpt, parts, rng)
    if not step and start_step:
        step = start_step
        rng = np.random.default_rng([config.seed, start_step])
    elif step:
        log(f"resuming from step {step}")
    spectral = config.architecture.spectral
    eq_generator = torch.Generator().manual_seed(config.seed + step)  # a resumed run draws new EQs
    log_floor = float(np.log(spectral.log_floor))
    frames_per_crop = config.segment_samples // spectral.hop_samples
    began = last_time = time.perf_counter()
    last_step = step
    while step < config.steps and not should_stop():
        if max_seconds is not None and time.perf_counter() - began > max_seconds:
            break
        lr = cosine_learning_rate(config, step)
        for group in optimizer.param_groups:
            group["lr"] = lr
        wave = torch.from_numpy(bank.batch(rng, config.batch_size, config.segment_samples)).to(device)
        with torch.no_grad():
            mel = log_mel(wave, spectral)[..., :frames_per_crop]
            if config.random_eq_nats > 0:
                mel = random_eq(mel, config.random_eq_nats, eq_generator, log_floor)
        with torch.autocast(torch.device(device).type, dtype=torch.bfloat16, enabled=config.bf16):
            estimate, mean, logvar = model(mel, sample=not config.encoder_only)
        error = torch.abs(estimate.float() - mel)
        loss_mel = error.mean()
        loss_weighted = (loudness_weight(mel, config.loud_weight) * error).mean()
        # Encoder-only: the log-variances get no reconstruction gradient, so the KL
        # would pull them to 1; only the means' part keeps the latent's scale.
        loss_kl = kl_divergence(mean.float(), logvar.float().detach() if config.encoder_only
                                else logvar.float())
        kl_weight = config.kl_weight * min(1.0, step / max(1, config.kl_warmup_steps))
        loss = loss_weighted + kl_weight * loss_kl
        judged = ()
        if judge is not None:
            loss_judge, loss_fool = adversarial_step(judge, judge_optimizer, mel, estimate.float(),
                                                     config.feature_matching_weight)
            loss = loss + config.adversarial_weight * loss_fool
            judged = (round(loss_judge, 4), round(loss_fool.item(), 4))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        step += 1
        history.append([step, round(loss_mel.item(), 5), round(loss_kl.item(), 5),
                        round(loss_weighted.item(), 5), *judged])
        if step % config.log_every == 0 or step == config.steps:
            now = time.perf_counter()
            rate = (step - last_step) / max(1e-9, now - last_time)
            last_step, last_time = step, now
            recent = np.array([row[:4] for row in history[-config.log_every:]])[:, 1:].mean(axis=0)
            adversarial = ""
            if judge is not None:
                judge_loss, fool_loss = np.array([row[4:6] for row in history[-config.log_every:]
                                                  if len(row) >= 6]).mean(axis=0)
                adversarial = f"judge {judge_loss:.3f}  fool {fool_loss:.3f}  "
            log(f"step {step}/{config.steps}  mel L1 {recent[0]:.4f}  weighted {recent[2]:.4f}  "
                f"kl {recent[1]:.3f}  {adversarial}"
                f"lr {lr:.2e}  {rate:.2f} steps/s")
        if step % config.checkpoint_every == 0:
            save_checkpoint(ckpt, parts, step, rng, history, {"training": config.to_dict()})
        if on_step is not None:
            on_step(step, config.steps)
    save_checkpoint(ckpt, parts, step, rng, history, {"training": config.to_dict()})
    return model.cpu().eval()


def adversarial_step(judge, judge_optimizer, real: torch.Tensor, decoded: torch.Tensor,
                     feature_weight: float) -> tuple[float, torch.Tensor]:
    """One least-squares GAN step on log-mels (B, n_mels, F): the judge learns to tell
    ``real`` from ``decoded`` (its weights step here), then returns (its loss, the
    decoder's loss for fooling it plus ``feature_weight`` x feature matching), the
    latter with a gradient into ``decoded`` only."""
    real_in = (real - MEL_CENTRE) / MEL_SCALE
    decoded_in = (decoded - MEL_CENTRE) / MEL_SCALE
    judge.requires_grad_(True)
    loss_judge = discriminator_loss([judge(real_in)], [judge(decoded_in.detach())])
    judge_optimizer.zero_grad(set_to_none=True)
    loss_judge.backward()
    judge_optimizer.step()
    judge.requires_grad_(False)  # the decoder's step below must not train the judge
    with torch.no_grad():
        real_out = judge(real_in)
    decoded_out = judge(decoded_in)
    loss_fool = generator_loss([decoded_out]) + feature_weight * feature_matching_loss([real_out], [decoded_out])
    return loss_judge.item(), loss_fool


def widen_latent(vae: MelVAE, channels: int, seed: int = 0) -> MelVAE:
    """A copy of ``vae`` with ``channels`` latent channels, the first ones its own.

    Warm-starting a wider latent from a trained narrower one measures whether the
    latent's size limits the round trip without retraining from scratch: the old
    channels keep their meaning, and the new ones start small (not zero: with both
    their encoder rows and their decoder columns at zero neither gets a gradient).
    Their posterior starts as narrow as the old channels' median.
    """
    old = vae.config.latent_channels
    if channels < old:
        raise ValueError(f"cannot narrow a latent from {old} to {channels} channels")
    from dataclasses import replace

    wide = MelVAE(replace(vae.config, latent_channels=channels))
    state = {k: v.detach().float().clone() for k, v in vae.state_dict().items()}
    generator = torch.Generator().manual_seed(seed)
    new = channels - old

    def small_like(t: torch.Tensor, shape) -> torch.Tensor:
        return torch.randn(shape, generator=generator) * 0.1 * float(t.std())

    w, b = state["encoder.head.weight"], state["encoder.head.bias"]  # (2 * old, dim, 1): means, then log-variances
    mean_w, logvar_w, mean_b, logvar_b = w[:old], w[old:], b[:old], b[old:]
    state["encoder.head.weight"] = torch.cat([mean_w, small_like(mean_w, (new, *w.shape[1:])),
                                              logvar_w, torch.zeros(new, *w.shape[1:])])
    state["encoder.head.bias"] = torch.cat([mean_b, torch.zeros(new), logvar_b,
                                            torch.full((new,), float(logvar_b.median()))])
    stem = state["decoder.stem.weight"]  # (dim, old, kernel)
    state["decoder.stem.weight"] = torch.cat([stem, small_like(stem, (stem.shape[0], new, stem.shape[2]))], dim=1)
    wide.load_state_dict(state)
    return wide
