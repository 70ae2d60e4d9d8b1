"""Hostile files through every command that takes files, and odd prompts through generate.

The corpus (:mod:`sketchpad_measure.bench.hostile_files`) is real files on disk: empty,
truncated, lying headers, random bytes, renamed images and text, NaN and Inf,
huge values, DC, silence, one sample, 8 channels, 192 kHz 24-bit, 8 kHz u-law,
8-bit, corrupt FLAC and OGG, a folder and a broken link named like audio, a
non-ASCII name and a 20-minute song. Each run must write finite audio or refuse
in one line (exit 2), within a time limit, and never raise.
"""

import threading

import pytest

from sketchpad import cli
from sketchpad_measure.bench.hostile import ODD_PROMPTS, judge
from sketchpad_measure.bench.hostile_files import build_corpus

LIMIT_S = 300  # per run; the 20-minute song takes about 20 s here


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return build_corpus(tmp_path_factory.mktemp("hostile"), long_minutes=20)


def run_cli(argv, capsys):
    """(exit status, stdout, stderr) of ``sketchpad ARGV`` run in-process, with a time limit."""
    result = {}

    def target():
        try:
            result["status"] = cli.main([str(a) for a in argv])
        except BaseException as err:  # noqa: BLE001 - reported below, with its type
            result["error"] = err

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(LIMIT_S)
    assert not worker.is_alive(), f"sketchpad {argv[0]} still running after {LIMIT_S} s"
    captured = capsys.readouterr()
    if "error" in result:
        raise AssertionError(f"sketchpad {argv[0]} raised {result['error']!r}") from result["error"]
    return result["status"], captured.out, captured.err


def _case_ids(cases):
    return [c.name for c in cases]


def test_reconstruct_every_hostile_file(corpus, tmp_path, capsys):
    for case in corpus:
        out = tmp_path / "out.wav"
        out.unlink(missing_ok=True)
        status, _, err = run_cli(["reconstruct", case.path, "--out", out], capsys)
        verdict, message = judge(status, err, [out])
        assert not verdict.startswith("FAILED"), f"{case.name}: {verdict} {message}"
        if case.expect == "ok":
            assert verdict == "wrote audio", f"{case.name} was refused: {message}"
        elif case.expect == "error":
            assert verdict == "refused" and not out.exists(), case.name
            assert case.path.name in message, message


def test_blend_every_hostile_file_with_a_good_one(corpus, tmp_path, capsys):
    good = next(c.path for c in corpus if c.name == "non-ASCII name")
    for case in corpus:
        out = tmp_path / "blend.wav"
        out.unlink(missing_ok=True)
        status, _, err = run_cli(["blend", case.path, good, "--mix", "0.5", "--out", out], capsys)
        verdict, message = judge(status, err, [out])
        assert not verdict.startswith("FAILED"), f"{case.name}: {verdict} {message}"
        if case.expect == "error":
            assert verdict == "refused" and not out.exists(), case.name
        elif case.expect == "ok" and case.name != "one sample":  # too short to blend: refused
            assert verdict == "wrote audio", f"{case.name} was refused: {message}"


def test_index_skips_each_bad_file_with_its_reason(corpus, capsys):
    status, out, err = run_cli(["index", corpus[0].path.parent], capsys)
    assert status == 0 and "Traceback" not in err
    skipped = {line.split("skipped ", 1)[1].split(":", 1)[0]
               for line in out.splitlines() if line.strip().startswith("skipped ")}
    refused = {c.path.name for c in corpus if c.expect == "error"}
    assert refused <= skipped
    # Every file that loads in reconstruct is analysed here, except the silent ones.
    analysed = {c.path.name for c in corpus if c.expect == "ok"} - skipped
    assert {"dc.wav", "long_song.flac", "ñandú kick – 鼓 🥁.wav", "ulaw.wav"} <= analysed


@pytest.mark.parametrize("prompt", ODD_PROMPTS, ids=[repr(p[:12]) for p in ODD_PROMPTS])
def test_generate_with_odd_prompts(prompt, tmp_path, capsys):
    status, _, err = run_cli(["generate", prompt, "--count", "2", "--out", tmp_path], capsys)
    verdict, message = judge(status, err, sorted(tmp_path.glob("*.wav")))
    assert not verdict.startswith("FAILED"), f"{verdict} {message}"
    if prompt.strip(" \t\n?!"):
        assert verdict == "wrote audio" and len(list(tmp_path.glob("*.wav"))) == 2
    else:
        assert "Describe the sound" in message
