"""The project's files: audio opened into it, sounds and kits written out, the session kept on disk.

Qt-free controller. Every read and write runs as a job through a
:class:`~sketchpad.jobs.Submitter`; results land in the project (an opened
file becomes a tile, as one undo step) or come back as one line for the
status bar.

Events: ``message(text[, seconds])`` a line for the status bar, shown ``seconds``
(default :data:`MESSAGE_SECONDS`); ``failed(text)`` a
one-line error; ``session_loaded(session)`` a saved session was read (an
unreadable one arrives as an empty session whose first note says why).
Thread use: UI thread only (job results are delivered there).
"""

from __future__ import annotations

from pathlib import Path

from sketchpad.core.clip import Clip, load_clip
from sketchpad.core.clip_wav import write_clip_wav
from sketchpad.core.events import Event
from sketchpad.core.kit_export import export_kit
from sketchpad.core.memory import release_free_memory
from sketchpad.core.session_store import Session, load_session, save_session
from sketchpad.errors import SketchpadError
from sketchpad.jobs import CurrentJob, Submitter


MESSAGE_SECONDS = 8
LONG_MESSAGE_SECONDS = 15  # news that arrives long after the user asked (a model finished training)


def format_time(seconds: float) -> str:
    """``m:ss.mmm``, the clock of the toolbar and the status line."""
    minutes, rest = divmod(max(0.0, seconds), 60.0)
    return f"{int(minutes)}:{rest:06.3f}"


def load_clips(paths, ctx) -> tuple[list[Clip], list[str]]:
    """Decode each of ``paths``; a file that fails costs only itself (its message is returned)."""
    clips, errors = [], []
    for i, path in enumerate(paths):
        ctx.check()
        try:
            clips.append(load_clip(path, _SubProgress(ctx, i, len(paths))))
        except SketchpadError as err:
            errors.append(str(err))
    return clips, errors


class _SubProgress:
    """A job context that maps one file's progress into its share of the whole job."""

    def __init__(self, ctx, index: int, count: int):
        self._ctx, self._index, self._count = ctx, index, count

    def check(self) -> None:
        self._ctx.check()

    def progress(self, fraction: float, text: str = "") -> None:
        self._ctx.progress((self._index + fraction) / self._count, text)


def describe_errors(errors: list[str]) -> str:
    return errors[0] if len(errors) == 1 else f"{len(errors)} files could not be read; first: {errors[0]}"


class Workspace:
    def __init__(self, project, jobs: Submitter, session_folder):
        self.project = project
        self.jobs = jobs
        self.session_folder = Path(session_folder)
        self._open = CurrentJob(jobs)
        self.message = Event()
        self.failed = Event()
        self.session_loaded = Event()
        self.before_adding = Event()  # opened sounds are about to become tiles (the player stops)

    # -- opening files ---------------------------------------------------------------
    def open(self, paths):
        """Decode ``paths`` in the background (replacing an open in progress); each becomes a
        new tile and the first is shown. Returns the job."""
        self.cancel_open()
        paths = [Path(p) for p in paths]
        return self._open.start("load", lambda ctx: load_clips(paths, ctx), lane="io",
                                on_result=lambda result: self._opened(*result), on_error=self.failed.emit,
                                on_cancelled=lambda: self.message.emit("Loading cancelled.", 4))

    @staticmethod
    def describe_open(paths) -> str:
        paths = [Path(p) for p in paths]
        return f"Loading {paths[0].name}" + (f" and {len(paths) - 1} more" if len(paths) > 1 else "")

    @property
    def is_loading(self) -> bool:
        return self._open.running

    def cancel_open(self) -> None:
        self._open.cancel()

    def _opened(self, clips: list[Clip], errors: list[str]) -> None:
        if clips:
            self.before_adding.emit()
            self.project.checkpoint("Add sound" if len(clips) == 1 else "Add sounds")
            self.project.add_tiles(clips)
            self.project.set_clip(clips[0])
        if errors:
            self.failed.emit(describe_errors(errors))
        elif clips:
            clip = clips[0]
            notes = f" ({'; '.join(clip.notes)})" if clip.notes else ""
            more = f" (+{len(clips) - 1} more)" if len(clips) > 1 else ""
            self.message.emit(f"Loaded {clip.name}: {format_time(clip.duration_seconds)}, "
                              f"{clip.samples.shape[1]} ch{notes}{more}")

    def read_first(self, paths, on_clip) -> None:
        """Decode ``paths`` and hand the first sound that reads to ``on_clip`` (e.g. onto a pad)."""
        def read(result) -> None:
            clips, errors = result
            if clips:
                on_clip(clips[0])
            if errors:
                self.failed.emit(errors[0])

        self.jobs.submit("load-pad", lambda ctx: load_clips(paths, ctx), lane="io",
                         supersede=False, on_result=read, on_error=self.failed.emit)

    # -- writing files -----------------------------------------------------------------
    def export_wav(self, clip: Clip, path, *, bit_depth: str, rate: int):
        """Write ``clip`` to ``path`` (``.wav`` added when missing) in the background; the job."""
        path = Path(path)
        if path.suffix.lower() != ".wav":
            path = path.with_name(path.name + ".wav")
        return self.jobs.submit(
            "export", lambda ctx: write_clip_wav(clip, path, bit_depth=bit_depth, rate=rate),
            lane="io", supersede=False, on_result=lambda out: self.message.emit(f"Exported {out}"),
            on_error=self.failed.emit)

    def export_kit(self, kit_state, folder, *, bit_depth: str, rate: int):
        """Write the kit folder (WAVs, SFZ, MIDI) into ``folder``; returns the job."""
        return self.jobs.submit(
            "export-kit", lambda ctx: write_kit(kit_state, folder, bit_depth=bit_depth, rate=rate),
            lane="io", supersede=False, on_result=lambda path: self.message.emit(f"Kit exported to {path}"),
            on_error=self.failed.emit)

    # -- the session on disk ------------------------------------------------------------
    def restore_session(self):
        """Read the saved session in the background; ``session_loaded`` gets it. Returns the job."""
        folder = self.session_folder
        return self.jobs.submit(
            "restore-session", lambda ctx: load_session(folder, ctx), lane="io",
            on_result=self.session_loaded.emit,
            on_error=lambda message: self.session_loaded.emit(
                Session(notes=[f"The last session could not be restored: {message}"])))

    def autosave(self, session: Session) -> None:
        """Save ``session`` in the background; a newer save replaces one still waiting."""
        folder = self.session_folder

        def save(ctx):
            save_session(folder, session, ctx)
            release_free_memory()  # a quiet moment after a change: give freed buffers back

        self.jobs.submit("autosave", save, lane="save",
                         on_error=lambda message: self.failed.emit(f"Autosave failed: {message}"))

    def save_now(self, session: Session) -> None:
        """Save on this thread (at shutdown, after the workers stopped)."""
        try:
            save_session(self.session_folder, session)
        except (SketchpadError, OSError) as err:
            print(f"sketchpad: could not save the session: {err}")

    # -- fine-tuning -------------------------------------------------------------------
    def train(self, folder, name: str, finetune, **options):
        """Fine-tune a model called ``name`` on ``folder`` with ``finetune`` (the training
        package's, passed in: core sits below training); train lane; returns the job."""
        return self.jobs.submit(
            "finetune", lambda ctx: finetune(folder, name=name, ctx=ctx, log=lambda line: None,
                                             **options),
            lane="train", supersede=False,
            on_result=lambda path: self.message.emit(
                f"Model “{name}” is ready: pick it in the Model menu.", LONG_MESSAGE_SECONDS),
            on_error=self.failed.emit,
            on_cancelled=lambda: self.message.emit(
                f"Training “{name}” paused; train again with the same name to resume.",
                LONG_MESSAGE_SECONDS))


def write_kit(kit_state, folder, *, bit_depth: str, rate: int) -> Path:
    """Export ``kit_state`` into ``folder`` (created when missing); the kit folder's path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return export_kit(kit_state, folder, "Sketchpad kit", bit_depth=bit_depth, rate=rate)
