"""Import speed of a synthetic ASVspoof 2019 LA protocol (target: 100,000 lines in under 5 s).

Generates `LA/ASVspoof2019_LA_cm_protocols/ASVspoof2019.LA.cm.train.trn.txt` with N lines in the real format
(`LA_0079 LA_T_0000001 - A01 spoof`, 10 % bona fide, 20 speakers, A01–A06) and N empty .flac files, so the
import does its full validation: every protocol line is checked against one listing of the flac folder.
Import never decodes audio, so empty files are enough (`datasets check` would flag them).

    .venv/bin/python benchmarks/dataset_import.py            # 100,000 lines
    .venv/bin/python benchmarks/dataset_import.py --lines 25380 --keep /tmp/la
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_tree(root: Path, lines: int) -> Path:
    """Write the protocol and the (empty) flac files; return the protocol's path."""
    protocol_dir = root / "LA" / "ASVspoof2019_LA_cm_protocols"
    flac = root / "LA" / "ASVspoof2019_LA_train" / "flac"
    protocol_dir.mkdir(parents=True, exist_ok=True)
    flac.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(lines):
        utt = f"LA_T_{1000000 + i:07d}"
        speaker = f"LA_{79 + (i // 10) % 20:04d}"  # blocks of 10 lines: every speaker has both labels
        attack, key = ("-", "bonafide") if i % 10 == 0 else (f"A{1 + i % 6:02d}", "spoof")
        out.append(f"{speaker} {utt} - {attack} {key}\n")
        open(flac / f"{utt}.flac", "wb").close()
    protocol = protocol_dir / "ASVspoof2019.LA.cm.train.trn.txt"
    protocol.write_text("".join(out))
    return protocol


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="build the tree here and keep it (default: a temporary folder)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        started = time.perf_counter()
        make_tree(root, args.lines)
        print(f"tree with {args.lines} protocol lines and empty flac files built in {time.perf_counter() - started:.1f} s")

        from fakescope.datasets.adapters import import_dataset

        started = time.perf_counter()
        report = import_dataset("asvspoof2019", root, root / "manifests" / "in-process.csv")
        in_process = time.perf_counter() - started
        print(f"import_dataset (in process): {report.rows} rows in {in_process:.2f} s")

        command = [sys.executable, "-c", "from fakescope.cli import main; main()", "datasets", "import",
                   "asvspoof2019", str(root), "--out", str(root / "manifests" / "cli.csv")]
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "FAKESCOPE_PROGRESS": "0"})
        cli = time.perf_counter() - started
        if done.returncode != 0:
            sys.exit(f"CLI import failed ({done.returncode}): {done.stderr.strip()}")
        print(f"fakescope datasets import (CLI, whole process): {done.stdout.strip()} in {cli:.2f} s")
        verdict = "PASS" if cli < 5.0 else "FAIL"
        print(f"{verdict}: {args.lines} lines imported in {cli:.2f} s end to end (target < 5 s)")


if __name__ == "__main__":
    main()
