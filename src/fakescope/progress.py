"""One progress bar style for every long job (stderr, so stdout stays clean for tables and JSON)."""

from __future__ import annotations

import sys
from typing import Iterable, TypeVar

from tqdm import tqdm

T = TypeVar("T")


def progress(iterable: Iterable[T] | None = None, *, total: int | None = None, desc: str = "", unit: str = "file") -> tqdm:
    """A tqdm bar on stderr; hidden when stderr is not a terminal unless FAKESCOPE_PROGRESS=1."""
    import os

    forced = os.environ.get("FAKESCOPE_PROGRESS") == "1"
    return tqdm(iterable, total=total, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True,
                disable=not (forced or sys.stderr.isatty()), mininterval=0.5)
