"""Every hostile file through every command that takes files, as a user would run them.

``python -m sketchpad_measure.bench.hostile [--minutes M] [--json F]`` builds the
corpus of :mod:`sketchpad_measure.bench.hostile_files`, runs ``sketchpad reconstruct``,
``blend`` and ``index`` on it, and ``generate`` on odd prompts, each in a
fresh process with a time limit, and prints one row per run: the outcome, the
exit status and the seconds. A run passes when it wrote finite audio (exit 0;
for index, finished) or refused with exactly one ``sketchpad: ...`` line (exit 2), and never shows
a traceback. The exit status is 1 if any run failed.

The tests check the same outcomes in-process through :func:`judge`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from sketchpad_measure.bench.hostile_files import HostileFile, build_corpus

ODD_PROMPTS = (
    "", "   ", "\t\n", "?!?!", "C3", "kick " * 400, "🥁🔥 808", "بيانو دافئ",
    "wärmes Pad Ç#3", "bass H9", "kick; rm -rf ~", "snare\x07\x1b[31m", "pad C-1", "x" * 5000,
)


@dataclass
class Outcome:
    command: str
    case: str
    verdict: str        # "wrote audio", "refused", or "FAILED: why"
    exit_status: int
    seconds: float
    message: str = ""   # the one-line refusal, if any

    @property
    def passed(self) -> bool:
        return not self.verdict.startswith("FAILED")


def judge(exit_status: int, stderr: str, outputs: list[Path] | None) -> tuple[str, str]:
    """(verdict, message) for one finished run; see the module docstring for the rule.

    ``outputs``: the audio files the run should have written, or None for a
    command that writes none (index), which passes on exit 0.
    """
    lines = [line for line in stderr.splitlines() if line.strip()]
    if "Traceback" in stderr:
        return "FAILED: traceback", lines[-1] if lines else ""
    if exit_status == 2:
        errors = [line for line in lines if line.startswith("sketchpad: ")]
        if len(errors) != 1 or errors[0] != lines[-1]:
            return "FAILED: refusal is not one 'sketchpad:' line", " | ".join(lines)
        return "refused", errors[0]
    if exit_status != 0:
        return f"FAILED: exit status {exit_status}", " | ".join(lines)
    if outputs is None:
        return "finished", ""
    written = [p for p in outputs if p.is_file()]
    if not written:
        return "FAILED: exit 0 but no file written", ""
    for path in written:
        audio, _ = sf.read(path, dtype="float32")
        if audio.size == 0 or not np.all(np.isfinite(audio)):
            return f"FAILED: non-finite or empty audio in {path.name}", ""
    return "wrote audio", ""


def runs(corpus: list[HostileFile], good: Path, out: Path):
    """(command, case label, argv, outputs) for every run of the sweep."""
    for case in corpus:
        target = out / "reconstructed.wav"
        yield "reconstruct", case.name, ["reconstruct", str(case.path), "--out", str(target)], [target]
        target = out / "blend.wav"
        yield ("blend", case.name, ["blend", str(case.path), str(good), "--mix", "0.5",
                                    "--out", str(target)], [target])
    yield "index", "the whole corpus", ["index", str(corpus[0].path.parent)], None
    for prompt in ODD_PROMPTS:
        folder = out / "generated"
        yield ("generate", repr(prompt[:24]), ["generate", prompt, "--count", "2", "--out", str(folder)],
               folder)


def _outputs(spec) -> list[Path] | None:
    """The files a run may have written: listed paths, or every WAV in a folder."""
    if spec is None:
        return None
    if isinstance(spec, Path):
        return sorted(spec.glob("*.wav")) if spec.is_dir() else []
    return list(spec)


def _clear(spec) -> None:
    for path in _outputs(spec) or []:
        path.unlink(missing_ok=True)


def run_sweep(folder: Path, minutes: float, timeout_s: float) -> list[Outcome]:
    corpus = build_corpus(folder / "corpus", long_minutes=minutes)
    good = next(c.path for c in corpus if c.name == "non-ASCII name")
    out = folder / "out"
    out.mkdir(exist_ok=True)
    results = []
    for command, label, argv, spec in runs(corpus, good, out):
        _clear(spec)
        began = time.perf_counter()
        try:
            done = subprocess.run([sys.executable, "-m", "sketchpad", *argv], capture_output=True,
                                  text=True, timeout=timeout_s)
            status, stderr = done.returncode, done.stderr
            verdict, message = judge(status, stderr, _outputs(spec))
        except subprocess.TimeoutExpired:
            status, verdict, message = -1, f"FAILED: still running after {timeout_s:g} s", ""
        outcome = Outcome(command, label, verdict, status, time.perf_counter() - began, message)
        results.append(outcome)
        print(f"{command:12s} {label[:28]:28s} {verdict:28s} exit {status:2d} {outcome.seconds:6.1f} s"
              f"  {message[:90]}", flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=20.0, help="length of the long song")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds allowed per run")
    parser.add_argument("--json", type=Path, help="also write the outcomes here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sketchpad-hostile-") as tmp:
        results = run_sweep(Path(tmp), args.minutes, args.timeout)
    failed = [r for r in results if not r.passed]
    slowest = max(results, key=lambda r: r.seconds)
    print(f"{len(results)} runs: {len(results) - len(failed)} passed, {len(failed)} failed; "
          f"slowest {slowest.command} of {slowest.case} ({slowest.seconds:.1f} s)")
    if args.json:
        from sketchpad.atomic import atomic_write_text

        atomic_write_text(args.json, json.dumps([asdict(r) for r in results], indent=1))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
