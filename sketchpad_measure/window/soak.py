"""Soak: a long random session in the real window, watching memory, threads and errors.

``python -m sketchpad_measure.window.soak [--minutes 20] [--warmup 5] [--seed 0] [--json F]``
drives the window offscreen (set ``QT_QPA_PLATFORM=offscreen``; on a machine
without a sound card, point ALSA at a null device as the tests do) with random
producer actions: prompts, auditions, slider drags, keeps (a tray of at most
``--max-kept`` sounds, as a producer curates it), undo and redo,
"more like this", blends in the blend view, exports, and files dropped in, a
few of them broken. Every 10 s it samples resident memory and thread counts.

It prints one JSON report: actions done, unexpected errors (exceptions that
reached the event loop, and status-bar warnings other than the expected ones
for broken files), resident memory at the end of the warm-up and at the end,
its growth in percent, and threads. Exit status 1 if anything unexpected happened.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

PROMPTS = ("punchy 808 kick", "warm pad C3", "plucky bass E2", "closed hi-hat", "snare with room",
           "bright bell C5", "soft electric piano", "distorted lead A3", "crash cymbal", "tom fill")


def resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def os_threads() -> int:
    return len(os.listdir("/proc/self/task"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=5.0, help="minutes before the baseline")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--max-kept", type=int, default=24,
                        help="the kept tray's size at which keeping un-keeps one instead")
    args = parser.parse_args(argv)

    from sketchpad.process_setup import set_up_process

    set_up_process()
    from PySide6.QtCore import QSettings, QTimer

    from sketchpad_measure.bench.hostile_files import build_corpus
    from sketchpad.ui.app import create_app
    from sketchpad.ui.main_window import MainWindow
    from sketchpad.ui.event_loop import run_event_loop_until

    tmp = Path(tempfile.mkdtemp(prefix="sketchpad-soak-"))
    corpus = [c for c in build_corpus(tmp / "corpus", long_minutes=1) if c.expect != "either"]
    broken_names = {c.path.name for c in corpus if c.expect == "error"}
    app = create_app()
    settings = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("export/folder", str(tmp / "exports"))
    window = MainWindow(settings=settings, session_folder=tmp / "session")
    window.show()
    run_event_loop_until(lambda: window.prompt_engine is not None and window.session_restored, 300)

    rng = random.Random(args.seed)
    actions: collections.Counter = collections.Counter()
    unexpected: list[str] = []
    samples: list[dict] = []
    began = time.monotonic()

    def hook(exc_type, exc, tb):
        unexpected.append("".join(traceback.format_exception(exc_type, exc, tb))[-600:])

    sys.excepthook = hook

    def watch_status(message: str) -> None:
        if message.startswith("⚠") and not any(name in message for name in broken_names) \
                and "could not be read" not in message:
            unexpected.append(message)

    window.statusBar().messageChanged.connect(watch_status)

    def act() -> None:
        try:
            do_something()
        finally:  # even after an error, keep going: the report counts it
            if time.monotonic() - began < args.minutes * 60:
                QTimer.singleShot(rng.randrange(150, 1500), act)
            else:
                app.quit()

    def do_something() -> None:
        tiles, panel = window.project.tiles, window.blend_panel
        kind = rng.choices(["generate", "audition", "drag", "keep", "undo", "redo", "more", "blend",
                            "blend-play", "export", "drop"],
                           weights=[3, 6, 4, 2, 2, 1, 1, 2, 1, 1, 1])[0]
        if not tiles and kind not in ("generate", "drop"):
            kind = "generate"
        actions[kind] += 1
        if kind == "generate":
            window.views.setCurrentIndex(0)
            window.prompt_bar.edit.setText(rng.choice(PROMPTS))
            window.generate(window.prompt_bar.edit.text(), 8, rng.randrange(10_000))
        elif kind == "audition":
            window.views.setCurrentIndex(0)
            window.audition(rng.choice(tiles))
            window.toggle_playback()
        elif kind == "drag" and window.slider_panel.isEnabled():
            names = [*window.slider_panel.state().directions, "Amplify", "Noise", "Smoothing"]
            slider = window.slider_panel.slider(rng.choice(names))
            for step in range(8):  # a drag: several moves 40 ms apart
                QTimer.singleShot(40 * step, lambda v=rng.randrange(-200, 201): slider.setValue(v))
        elif kind == "keep":
            # A producer curates the tray: when it is full, one kept sound goes.
            kept = window.project.kept
            window.toggle_keep(rng.choice(kept) if len(kept) >= args.max_kept else rng.choice(tiles))
        elif kind == "undo":
            window.undo()
        elif kind == "redo":
            window.redo()
        elif kind == "more":
            window.more_like_this(rng.choice(tiles))
        elif kind == "blend":
            window.views.setCurrentWidget(panel)
            window.blend_with(rng.choice(tiles), rng.choice("AB"))
            panel.alpha.setValue(rng.randrange(101))
            panel.mode_group.button(rng.choice([0, 1, 3])).click()
        elif kind == "blend-play":
            window.views.setCurrentWidget(panel)
            panel.toggle_play()
        elif kind == "export":
            window.export_current()
            for old in sorted((tmp / "exports").glob("*.wav"))[:-4]:
                old.unlink()  # keep the disk flat: exports are checked, not collected
        elif kind == "drop":
            window.views.setCurrentIndex(0)
            window.open_files([rng.choice(corpus).path])

    def live_clips_mb() -> float:
        """Memory of every sound the session still holds: on screen, kept, in undo, in A/B."""
        held = window.project.state().footprint()
        for state in window.project.history.states():
            held.update(state.footprint())
        held.update({c.uid: c.nbytes for c in window.blend_panel.source_clips().values()})
        return sum(held.values()) / 2**20

    def sample() -> None:
        samples.append({"minute": round((time.monotonic() - began) / 60, 2), "rss_mb": round(resident_mb(), 1),
                        "os_threads": os_threads(), "python_threads": threading.active_count(),
                        "tiles": len(window.project.tiles), "kept": len(window.project.kept),
                        "undo_mb": round(window.project.history.held_bytes() / 2**20, 1),
                        "live_clips_mb": round(live_clips_mb(), 1)})

    sampler = QTimer()
    sampler.timeout.connect(sample)
    sampler.start(10_000)
    sample()
    QTimer.singleShot(0, act)
    app.exec()
    sampler.stop()
    sample()
    window.player.stop()
    run_event_loop_until(lambda: window.pool.pending == 0, 60)  # let running jobs land
    window.close()
    closed = {"os_threads": os_threads(), "python_threads": threading.active_count()}

    after_warmup = [s for s in samples if s["minute"] >= args.warmup]
    baseline = after_warmup[0] if after_warmup else samples[0]
    final = samples[-1]
    report = {
        "minutes": args.minutes, "warmup_minutes": args.warmup, "seed": args.seed,
        "max_kept": args.max_kept,
        "actions": dict(actions), "action_count": sum(actions.values()),
        "unexpected": unexpected,
        "rss_mb_start": samples[0]["rss_mb"], "rss_mb_after_warmup": baseline["rss_mb"],
        "rss_mb_end": final["rss_mb"], "rss_mb_peak": max(s["rss_mb"] for s in samples),
        "rss_growth_after_warmup_pct": round(100 * (final["rss_mb"] / baseline["rss_mb"] - 1), 2),
        "live_clips_mb_after_warmup": baseline["live_clips_mb"], "live_clips_mb_end": final["live_clips_mb"],
        "os_threads_after_warmup": baseline["os_threads"], "os_threads_end": final["os_threads"],
        "os_threads_max": max(s["os_threads"] for s in samples),
        "threads_after_close": closed, "samples": samples,
    }
    print(json.dumps({k: v for k, v in report.items() if k != "samples"}, indent=1))
    if args.json:
        from sketchpad.atomic import atomic_write_text

        atomic_write_text(args.json, json.dumps(report, indent=1))
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
