"""The batch job behind `fakescope spectrogram`: many files → PNGs + index.csv, parallel and resumable."""

from __future__ import annotations

import csv
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from ..errors import AudioError
from ..fileio import atomic_path
from ..inputs import InputItem
from ..progress import progress
from .images import ImageSpec, SpectrogramImager, write_png

CHUNK = 4  # clips per front-end batch: 4 was fastest on 2 cores (benchmarks/frontend.py; 8 was ~15 % slower)


@dataclass(frozen=True)
class ImageJobResult:
    written: int
    skipped: int
    failures: list[tuple[str, str]]
    index_path: Path


def png_path(out_dir: Path, item: InputItem) -> Path:
    """Where the image of `item` goes: its relative path under out_dir with a .png suffix."""
    return out_dir / Path(item.relative).with_suffix(".png")


def run_image_job(items: list[InputItem], out_dir: Path, spec: ImageSpec, *, workers: int = 1) -> ImageJobResult:
    """Write one PNG per item (skipping those already written) and an index.csv of path,label,png."""
    out_dir.mkdir(parents=True, exist_ok=True)
    todo = [(str(it.path), str(png_path(out_dir, it))) for it in items if not png_path(out_dir, it).exists()]
    skipped = len(items) - len(todo)
    chunks = [todo[i : i + CHUNK] for i in range(0, len(todo), CHUNK)]
    failures: list[tuple[str, str]] = []
    written = 0
    with progress(total=len(todo), desc="spectrograms") as bar:
        if workers <= 1 or len(chunks) <= 1:
            imager = SpectrogramImager(spec)
            for chunk in chunks:
                done, failed = _render_chunk(imager, chunk)
                written, failures = written + done, failures + failed
                bar.update(len(chunk))
        else:
            context = get_context("spawn")  # torch and FFmpeg are not fork-safe once threads exist
            with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker, initargs=(spec,)) as pool:
                futures = {pool.submit(_worker_chunk, chunk): len(chunk) for chunk in chunks}
                for future in as_completed(futures):
                    done, failed = future.result()
                    written, failures = written + done, failures + failed
                    bar.update(futures[future])
    index_path = _write_index(out_dir, items)
    return ImageJobResult(written=written, skipped=skipped, failures=failures, index_path=index_path)


def _render_chunk(imager: SpectrogramImager, chunk: list[tuple[str, str]]) -> tuple[int, list[tuple[str, str]]]:
    from ..audio import load_audio

    waves, targets, failures = [], [], []
    for source, target in chunk:
        try:
            waves.append(load_audio(source, sample_rate=imager.spec.sample_rate).samples[0])
            targets.append(target)
        except AudioError as exc:
            failures.append((source, exc.reason))
    for image, target in zip(imager.render(waves), targets):
        write_png(target, image)
    return len(targets), failures


_WORKER_IMAGER: SpectrogramImager | None = None


def _init_worker(spec: ImageSpec) -> None:
    import torch

    global _WORKER_IMAGER
    torch.set_num_threads(1)  # one process per core; intra-op threads would oversubscribe
    _WORKER_IMAGER = SpectrogramImager(spec)


def _worker_chunk(chunk: list[tuple[str, str]]) -> tuple[int, list[tuple[str, str]]]:
    assert _WORKER_IMAGER is not None  # set by _init_worker in this process
    return _render_chunk(_WORKER_IMAGER, chunk)


def _write_index(out_dir: Path, items: list[InputItem]) -> Path:
    """index.csv lists every item whose PNG exists, so a resumed job still indexes earlier outputs."""
    index = out_dir / "index.csv"
    with atomic_path(index) as tmp, open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "label", "png"])
        for item in items:
            target = png_path(out_dir, item)
            if target.exists():
                writer.writerow([str(item.path), item.label, target.relative_to(out_dir).as_posix()])
    return index
