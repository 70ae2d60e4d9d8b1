"""Training the sound VAE: data crops, the loop, checkpoints, DDP.

Runs on one CPU, one GPU, or several processes under ``torchrun`` (DDP with
NCCL on GPUs, gloo on CPUs). Checkpoints are safetensors plus JSON, written
atomically, and a run resumes from its last checkpoint. Seeds are fixed, so
the same data and settings give the same model on the same machine.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist

from sketchpad.engine.model import save_sound_model
from sketchpad.atomic import atomic_write_bytes, atomic_write_text
from sketchpad.engine.model_files import FORMAT_VERSION
from sketchpad.engine.vae import SoundVAE, VAEConfig, upgrade_upsampler
from sketchpad.training.checkpoint import optimizer_tensors, restore_optimizer
from sketchpad.training.schedule import cosine_learning_rate
from sketchpad.training.losses import kl_divergence, mel_loss, multi_resolution_stft_loss


@dataclass
class TrainConfig:
    steps: int = 12000
    batch_size: int = 12
    segment_seconds: float = 1.0
    learning_rate: float = 4e-4
    final_learning_rate: float = 2e-5
    warmup_steps: int = 300
    kl_weight: float = 2e-3
    kl_warmup_steps: int = 2000
    mel_weight: float = 1.0
    stft_weight: float = 1.0
    # Window-normalised magnitude floor of the log term. The evaluation's -100 dB
    # (1e-5) thinned out music: its quiet bins were left to go quieter still.
    stft_log_floor: float = 1e-10
    freeze_encoder: bool = False  # train only the decoder: the latent space stays as it is
    # Run the network in bfloat16 (weights, losses and the inverse STFT stay
    # float32): 1.6x faster per step on a 2-core AVX-512 CPU.
    bf16: bool = False
    checkpoint_every: int = 250
    log_every: int = 25
    seed: int = 0
    architecture: VAEConfig = field(default_factory=VAEConfig)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["architecture"] = self.architecture.to_dict()
        return data


class AudioBank:
    """Mono training audio held in memory as int16, with random crops.

    A one-shot's attack matters most, so by default half of the crops of
    items longer than a crop start at the beginning, and every item is drawn
    equally often. Recorded music is a bank made with ``kind="music"``: its
    crops start anywhere, and a track is drawn in proportion to its length, so
    every second of music is equally likely (a track's intro is no more likely
    than its middle). Items are peak-normalised when stored and each crop gets
    a random level between -30 and -1 dBFS, since renders come at whatever
    level the soundfont has.
    """

    def __init__(self, waves: list[np.ndarray], kind: str = "sounds"):
        if not waves:
            raise ValueError("no training audio")
        if kind not in ("sounds", "music"):
            raise ValueError(f"kind must be 'sounds' or 'music', got {kind!r}")
        self.attack_share = 0.5 if kind == "sounds" else 0.0
        lengths = np.array([max(1, w.shape[0]) for w in waves], np.float64)
        self.draw_weights = lengths / lengths.sum() if kind == "music" else None
        self.waves = []
        for w in waves:
            peak = float(np.max(np.abs(w))) if w.size else 0.0
            scale = 32767.0 / peak if peak > 0 else 0.0
            self.waves.append(np.clip(w * scale, -32768, 32767).astype(np.int16))

    @classmethod
    def from_files(cls, paths, progress=None) -> "AudioBank":
        from sketchpad.audio.io import load_audio

        waves = []
        for i, path in enumerate(paths):
            audio = load_audio(path)
            waves.append(audio.samples.mean(axis=1))
            if progress is not None and i % 200 == 0:
                progress(i / max(1, len(paths)))
        return cls(waves)

    def __len__(self) -> int:
        return len(self.waves)

    def batch(self, rng: np.random.Generator, size: int, samples: int) -> np.ndarray:
        out = np.zeros((size, samples), np.float32)
        for row in range(size):
            index = rng.choice(len(self.waves), p=self.draw_weights) if self.draw_weights is not None \
                else rng.integers(len(self.waves))
            wave = self.waves[index]
            if wave.shape[0] <= samples or rng.random() < self.attack_share:
                start = 0
            else:
                start = int(rng.integers(0, wave.shape[0] - samples))
            piece = wave[start:start + samples].astype(np.float32) / 32768.0
            gain = 10 ** (rng.uniform(-30.0, -1.0) / 20.0)  # level robustness
            out[row, : piece.shape[0]] = piece * gain
        return out


def _distributed() -> tuple[int, int]:
    """(rank, world size); initialises the process group under torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not dist.is_initialized():
        from datetime import timedelta

        backend = "nccl" if torch.cuda.is_available() else "gloo"
        # Rank 0 may render the dataset or build the index while the others wait.
        dist.init_process_group(backend=backend, timeout=timedelta(hours=3))
    return (dist.get_rank() if world > 1 else 0), world


def _save_checkpoint(run_dir: Path, model: SoundVAE, optimizer, step: int,
                     config: TrainConfig, rng: np.random.Generator, history: list) -> None:
    from safetensors.torch import save as save_tensors

    ckpt = run_dir / "checkpoint"
    save_sound_model(ckpt, model, name="checkpoint", extra_config={"training": config.to_dict()})
    tensors = optimizer_tensors(model, optimizer)
    atomic_write_bytes(ckpt / "optimizer.safetensors", save_tensors(tensors))
    meta = {"format_version": FORMAT_VERSION, "step": step, "rng": rng.bit_generator.state,
            "history": history[-2000:]}
    atomic_write_text(ckpt / "state.json", json.dumps(meta))


def _load_checkpoint(run_dir: Path, model: SoundVAE, optimizer, rng: np.random.Generator):
    from safetensors.torch import load_file

    from sketchpad.engine.model_files import load_state_strict, read_model_folder

    ckpt = run_dir / "checkpoint"
    if not (ckpt / "state.json").exists():
        return 0, []
    _, tensors = read_model_folder(ckpt)
    load_state_strict(model, tensors, "checkpoint", prefix="vae.")
    opt_tensors = load_file(str(ckpt / "optimizer.safetensors"))
    meta = json.loads((ckpt / "state.json").read_text())
    step = int(meta["step"])
    restore_optimizer(model, optimizer, opt_tensors, step)
    rng.bit_generator.state = meta["rng"]
    return step, meta.get("history", [])


def train(bank: AudioBank, run_dir, config: TrainConfig, *, log=print,
          should_stop=lambda: False, initial_weights=None, on_step=None) -> SoundVAE:
    """Train (or resume) in ``run_dir``; returns the model on the CPU.

    ``initial_weights``: a model folder whose VAE weights (same architecture
    as ``config.architecture``) a new run starts from, for fine-tuning; a
    checkpoint in ``run_dir`` takes precedence, so a fine-tune resumes too.
    ``should_stop()`` is asked before every step; when it says stop, the run
    writes a checkpoint and returns. ``on_step(step, steps)`` is called on
    rank 0 after every step (progress reporting).

    Under torchrun each process trains on its own random crops and DDP
    averages the gradients; only rank 0 logs and writes checkpoints.
    """
    run_dir = Path(run_dir)
    rank, world = _distributed()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and world > 1:
        device = f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}"
        torch.cuda.set_device(device)
    torch.manual_seed(config.seed)  # identical initial weights on every rank
    model = SoundVAE(config.architecture)
    if initial_weights is not None:
        from sketchpad.engine.model_files import load_state_strict, read_model_folder

        _, tensors = read_model_folder(initial_weights)
        if config.architecture.upsample == "linear":
            tensors = upgrade_upsampler(tensors, prefix="vae.")
        load_state_strict(model, tensors, Path(initial_weights).name, prefix="vae.")
    if config.freeze_encoder:
        model.encoder.requires_grad_(False)
    model = model.to(device)
    trained = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trained, lr=config.learning_rate,
                                  betas=(0.8, 0.99), weight_decay=1e-4)
    rng = np.random.default_rng(config.seed + 1000 * rank)
    start, history = _load_checkpoint(run_dir, model, optimizer, rng)
    if world > 1:  # the checkpoint holds rank 0's generator: give every rank its own stream
        rng = np.random.default_rng([config.seed, rank, start])
    if start and rank == 0:
        log(f"resuming from step {start}")
    net = model
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel

        net = DistributedDataParallel(model)
    step_samples = config.architecture.spectral.hop_samples * config.architecture.time_downsample
    samples = max(1, round(config.segment_seconds * 44100 / step_samples)) * step_samples
    spectral = config.architecture.spectral
    began, last_log = time.perf_counter(), start
    step = start
    while step < config.steps and not should_stop():
        for group in optimizer.param_groups:
            group["lr"] = cosine_learning_rate(config, step)
        wave = torch.from_numpy(bank.batch(rng, config.batch_size, samples)).to(device)
        with torch.autocast(torch.device(device).type, dtype=torch.bfloat16, enabled=config.bf16):
            estimate, mean, logvar = net(wave)
        mean, logvar = mean.float(), logvar.float()
        loss_mel = mel_loss(estimate, wave, spectral)
        loss_stft = multi_resolution_stft_loss(estimate, wave, floor=config.stft_log_floor)
        loss_kl = kl_divergence(mean, logvar)
        kl_weight = config.kl_weight * min(1.0, step / max(1, config.kl_warmup_steps))
        if config.freeze_encoder:
            kl_weight = 0.0  # a constant then: the encoder does not move
        loss = config.mel_weight * loss_mel + config.stft_weight * loss_stft + kl_weight * loss_kl
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trained, 1.0)
        optimizer.step()
        step += 1
        if rank == 0:
            history.append([step, loss_mel.item(), loss_stft.item(), loss_kl.item()])
            if step % config.log_every == 0 or step == config.steps:
                rate = (step - last_log) / max(1e-9, time.perf_counter() - began)
                eta = (config.steps - step) / max(rate, 1e-9)
                log(f"step {step}/{config.steps}  mel {history[-1][1]:.3f}  "
                    f"stft {history[-1][2]:.3f}  kl {history[-1][3]:.3f}  "
                    f"{rate:.2f} steps/s  eta {eta / 60:.0f} min")
            if step % config.checkpoint_every == 0 or step == config.steps:
                _save_checkpoint(run_dir, model, optimizer, step, config, rng, history)
            if on_step is not None:
                on_step(step, config.steps)
    if rank == 0 and step > start:
        _save_checkpoint(run_dir, model, optimizer, step, config, rng, history)
    if world > 1:
        dist.barrier()
    return model.cpu().eval()


def stderr_log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
