"""Atomic file writing: results appear whole under their final name or not at all.

Long jobs are resumable because they trust that an existing output is complete; writing to a temporary
file beside the target and renaming it (atomic on POSIX) keeps that promise through crashes and Ctrl-C.
"""

from __future__ import annotations

import os
import re
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def atomic_path(path: str | os.PathLike, *, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside `path`; when the block succeeds it replaces `path`.

    suffix: an extension the temporary name must end with (for writers that pick a format by suffix).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp{suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write UTF-8 text to `path` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def read_yaml(path: str | os.PathLike) -> object:
    """Parse a YAML (or JSON) file; a syntax error becomes ParameterError naming the file, in one line."""
    import yaml

    from .errors import ParameterError

    path = Path(path)
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ParameterError(f"{path}: not valid YAML ({' '.join(str(exc).split())[:160]})") from None


def file_stems(ids: list[str]) -> list[str]:
    """File-system-safe stems for ids (utt_ids), unique even where two ids clean to the same text."""
    seen: dict[str, int] = {}
    names = []
    for utt_id in ids:
        stem = re.sub(r"[^A-Za-z0-9._-]", "_", utt_id).lstrip(".") or "utt"
        count = seen.get(stem, 0)
        seen[stem] = count + 1
        names.append(stem if not count else f"{stem}-{count}")
    return names
