"""What the user sees of terraform runs: a progress line, then a one-line summary; every event
goes to a log file under the workspace (``--verbose`` prints them all as well).

On a terminal the progress line is redrawn in place about once a second. Elsewhere (CI, pipes,
tests) nothing is redrawn: a progress line at most every ``interval`` seconds, a line for each
resource that failed or was slow, and the summary.
"""

from __future__ import annotations

import shutil
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TextIO

from orchestrator.apply_progress import RunProgress

Say = Callable[[str], None]
# Terraform commands whose events are followed on the progress line.
_VERBS = {"apply": "applying", "destroy": "destroying", "plan": "planning"}
PLAIN_INTERVAL = 10.0
# A terminal redraw at most this often: a destroy brings hundreds of events a second.
REDRAW_SECONDS = 0.2


class TerraformReporter:
    """A terraform run observer (see ``terraform.RunObserver``) writing one log file."""

    def __init__(
        self,
        log_path: Path,
        say: Say,
        *,
        verbose: bool = False,
        stream: TextIO | None = None,
        interval: float = PLAIN_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.log_path = log_path
        self.say = say
        self.verbose = verbose
        self._stream = stream or sys.stdout
        self._live = not verbose and self._stream.isatty()
        self._interval = interval
        self._clock = clock
        self._progress: RunProgress | None = None
        self._last_plain = 0.0
        self._last_drawn = 0.0
        self._drawn = False
        self._lock = threading.Lock()
        self._ticker: threading.Thread | None = None
        self._stop = threading.Event()
        self._announced = False

    # ------------------------------------------------------------------ the log
    @property
    def shown_path(self) -> Path:
        """The log's path as printed: short (from the current folder) when it is below it."""
        try:
            return self.log_path.relative_to(Path.cwd())
        except ValueError:
            return self.log_path

    def log(self, text: str) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("a", encoding="utf-8") as handle:
            handle.write(text.rstrip("\n") + "\n")

    def note(self, text: str, brief: str | None = None) -> None:
        """``text`` goes to the log; the user sees ``brief`` (all of ``text`` with --verbose)."""
        self.log(text)
        shown = text if self.verbose or brief is None else brief
        self._print(shown)

    # ------------------------------------------------------- RunObserver hooks
    def run_started(self, command: list[str], *, events: bool) -> None:
        if events and not self._announced:
            # Only runs that plan or change are announced: 'sweep --json' keeps a clean stdout.
            self._announced = True
            self._print(f"terraform log: {self.shown_path}")
        self.log(f"\n[{time.strftime('%H:%M:%S')}] $ {' '.join(command)}")
        verb = _VERBS.get(command[1] if len(command) > 1 else "")
        if events and verb:
            self._progress = RunProgress(verb, self._clock())
            self._last_plain = self._clock()
            if self._live:
                self._stop.clear()
                self._ticker = threading.Thread(target=self._tick, daemon=True)
                self._ticker.start()

    def run_event(self, event: Mapping[str, Any], line: str | None) -> None:
        if line:
            self.log(line)
        detail = (event.get("diagnostic") or {}).get("detail")
        if detail:
            self.log("  " + str(detail).strip().replace("\n", "\n  "))
        progress = self._progress
        if progress is None:
            return
        now = self._clock()
        with self._lock:
            kept = progress.feed(event, now)
        if self.verbose:
            return
        if kept:
            self._print(kept)
        if event.get("type") == "diagnostic" and event.get("@level") == "warn":
            summary = (event.get("diagnostic") or {}).get("summary", "")
            self._print(f"  warning: {summary} (details in the log)")
        if self._live:
            if now - self._last_drawn >= REDRAW_SECONDS:
                self._draw()
        elif (
            str(event.get("type")).startswith("apply_") and now - self._last_plain >= self._interval
        ):
            self._last_plain = now
            self.say(progress.status_line(now))

    def run_finished(self, returncode: int, *, failed: bool, diagnostics: str) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=2)
            self._ticker = None
        self._clear()
        self.log(f"[{time.strftime('%H:%M:%S')}] exit code {returncode}")
        progress, self._progress = self._progress, None
        if failed:
            if diagnostics:
                self.log(diagnostics)
            # The diagnostics themselves are printed with the error (cli.main).
            if progress is not None:
                failed_line = progress.failed_summary(self._clock())
                self.say(f"{failed_line} (full log: {self.shown_path})")
            return
        if progress is not None and progress.verb != "planning":
            self.say(progress.summary(self._clock()))

    # ---------------------------------------------------------------- drawing
    def _print(self, line: str) -> None:
        with self._lock:
            self._clear_locked()
            self.say(line)
            if self._live and self._progress is not None:
                self._draw_locked()

    def _draw(self) -> None:
        with self._lock:
            self._draw_locked()

    def _draw_locked(self) -> None:
        if self._progress is None:
            return
        width = shutil.get_terminal_size((100, 20)).columns - 1
        line = self._progress.status_line(self._clock())[:width]
        self._stream.write(f"\r\033[K{line}")
        self._stream.flush()
        self._drawn = True
        self._last_drawn = self._clock()

    def _clear(self) -> None:
        with self._lock:
            self._clear_locked()

    def _clear_locked(self) -> None:
        if self._drawn:
            self._stream.write("\r\033[K")
            self._stream.flush()
            self._drawn = False

    def _tick(self) -> None:
        # Elapsed times move on between events (terraform reports every 10 s at best).
        while not self._stop.wait(1.0):
            self._draw()
