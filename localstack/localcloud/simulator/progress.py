"""A progress bar: tqdm if the environment has it, else a plain one on stderr."""

from __future__ import annotations

import importlib
import sys
import time
from typing import IO, Protocol


class Progress(Protocol):
    def update(self, n: int = 1) -> None: ...

    def close(self) -> None: ...


class _Silent:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


class TextProgress:
    """``publishing  2403/5562  43% [#########...........]`` redrawn at most every 0.2 s."""

    def __init__(self, total: int, label: str, out: IO[str] | None = None, width: int = 30) -> None:
        self._total, self._label, self._width = max(total, 1), label, width
        self._out = out or sys.stderr
        self._done, self._drawn_at = 0, 0.0

    def update(self, n: int = 1) -> None:
        self._done += n
        now = time.monotonic()
        if now - self._drawn_at >= 0.2 or self._done >= self._total:
            self._drawn_at = now
            self._draw()

    def _draw(self) -> None:
        share = min(1.0, self._done / self._total)
        filled = int(share * self._width)
        bar = "#" * filled + "." * (self._width - filled)
        self._out.write(f"\r{self._label} {self._done}/{self._total} {share:4.0%} [{bar}]")
        self._out.flush()

    def close(self) -> None:
        self._draw()
        self._out.write("\n")
        self._out.flush()


def progress(total: int, label: str, *, enabled: bool = True) -> Progress:
    if not enabled:
        return _Silent()
    try:  # optional, and without type stubs in the venv: imported by name
        tqdm = importlib.import_module("tqdm")
    except ImportError:
        return TextProgress(total, label)
    bar: Progress = tqdm.tqdm(total=total, desc=label, unit="msg", file=sys.stderr)
    return bar
