"""Progress bars on stderr, shown only when stderr is a terminal.

Every long stage (sweep chunks, the reproduce stages, the linear-network comparison)
creates its bar here, so a redirected or piped stderr (logs, CI, ``2>file``) gets no
bar characters at all.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

__all__ = ["progress", "show_progress"]


def show_progress() -> bool:
    """Whether bars are drawn: stderr is an interactive terminal."""
    stream = sys.stderr
    return bool(getattr(stream, "isatty", None)) and stream.isatty()


def progress(iterable: Iterable[Any] | None = None, **kw: Any) -> Any:
    """A tqdm bar on stderr, disabled unless :func:`show_progress` (same arguments as tqdm)."""
    from tqdm import tqdm

    kw.setdefault("file", sys.stderr)
    kw["disable"] = kw.get("disable", False) or not show_progress()
    return tqdm(iterable, **kw)
