"""The learning-rate schedule every training loop here uses."""

from __future__ import annotations

import math


def cosine_learning_rate(config, step: int) -> float:
    """Linear warm-up over ``config.warmup_steps``, then a cosine from
    ``config.learning_rate`` down to ``config.final_learning_rate`` at ``config.steps``."""
    if step < config.warmup_steps:
        return config.learning_rate * (step + 1) / config.warmup_steps
    progress = min(1.0, (step - config.warmup_steps) / max(1, config.steps - config.warmup_steps))
    cosine = 0.5 * (1 + math.cos(math.pi * progress))
    return config.final_learning_rate + (config.learning_rate - config.final_learning_rate) * cosine
