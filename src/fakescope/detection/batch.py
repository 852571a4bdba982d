"""Scanning many inputs: sequential or in worker processes, with a progress bar; failures collected."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Iterator

from ..errors import AudioError
from ..progress import progress
from .verdict import Verdict

Outcome = tuple[str, Verdict | None, str | None]  # (name, verdict, error reason)


def scan_paths(detector_factory: Any, paths: list[Path], *, workers: int = 1) -> Iterator[Outcome]:
    """Yield (name, verdict or None, reason or None) per path, in input order.

    detector_factory: a picklable zero-argument callable returning a Detector (each worker builds its own).
    """
    with progress(total=len(paths), desc="scanning") as bar:
        if workers <= 1 or len(paths) <= 1:
            detector = detector_factory()
            for path in paths:
                yield scan_one(detector, path)
                bar.update(1)
            return
        context = get_context("spawn")  # torch is not fork-safe once its thread pools exist
        with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker,
                                 initargs=(detector_factory,)) as pool:
            for outcome in pool.map(_worker_scan, paths, chunksize=4):
                yield outcome
                bar.update(1)


def scan_one(detector: Any, source: Any, name: str | None = None) -> Outcome:
    """Scan one input (path, bytes, ...), turning an AudioError into (name, None, reason)."""
    name = name or str(source)
    try:
        return name, detector.scan(source, name=name), None
    except AudioError as exc:
        return name, None, exc.reason


_DETECTOR: Any = None


def _init_worker(factory: Any) -> None:
    import torch

    global _DETECTOR
    torch.set_num_threads(1)  # one process per core
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    _DETECTOR = factory()


def _worker_scan(path: Path) -> Outcome:
    return scan_one(_DETECTOR, path)
