"""The tiny corpus end to end, from the real Debian/PyPI packages that scripts/setup.sh installs.

This test installs nothing. Outside CI it skips when the packages are missing; in CI (CI=true) a missing
package is a failure, since the setup scripts must have installed it.
"""

from __future__ import annotations

import csv
import json
import os

import pytest
import soundfile as sf
from typer.testing import CliRunner

from fakescope.datasets.offline import build_corpus
from fakescope.datasets.offline.packages import MissingPackageError

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny")
    try:
        result = build_corpus(out_dir=out, size="tiny", seed=0, workers=2, fetch=False)
    except MissingPackageError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"tiny corpus packages are not installed: {exc}")
    return out, result


def test_tiny_corpus_layout(tiny):
    out, result = tiny
    assert not result.failed and not result.skipped
    summary = json.loads((out / "corpus.json").read_text())
    counts = summary["counts"]
    assert counts["bonafide"] >= 30 and counts["spoof"] >= 30
    with open(out / "manifest.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {"language", "transcript", "family", "source_sample_rate", "source_format"} <= set(rows[0])
    spoof_systems = {r["attack"] for r in rows if r["label"] == "spoof"}
    assert len(spoof_systems) >= 8 and len({r["family"] for r in rows if r["label"] == "spoof"}) >= 4
    splits_of: dict[str, set] = {}
    for r in rows:
        splits_of.setdefault(r["speaker"], set()).add(r["split"])
    assert all(len(s) == 1 for s in splits_of.values())
    seen = {r["attack"] for r in rows if r["split"] in ("train", "dev")}
    assert len(spoof_systems - seen) >= 3
    # Spoofs went through the bona fide's codec (the tiny corpus's bona fide is all G.722) before equalising.
    assert {r["source_format"] for r in rows if r["label"] == "spoof"} == {r["source_format"] for r in rows if r["label"] == "bonafide"}
    info = sf.info(str(out / rows[0]["path"]))
    assert (info.samplerate, info.channels, info.format) == (16000, 1, "FLAC")
    protocol = (out / "protocols" / "fakescope.cm.eval.trl.txt").read_text().splitlines()
    assert len(protocol) == sum(r["split"] == "eval" for r in rows)
    speaker, utt, dash, system, key = protocol[0].split()
    assert dash == "-" and key in ("bonafide", "spoof")


def test_tiny_corpus_resumes_without_rework(tiny):
    out, first = tiny
    again = build_corpus(out_dir=out, size="tiny", seed=0, workers=1, fetch=False)
    assert sorted(r.utt_id for r in again.rows) == sorted(r.utt_id for r in first.rows)
    assert again.seconds < first.seconds


def test_tiny_corpus_audit(tiny):
    from fakescope.cli import commands  # noqa: F401
    from fakescope.cli.app import app

    out, _ = tiny
    result = CliRunner().invoke(app, ["datasets", "audit", str(out / "manifest.csv"), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["files"] == report["bonafide"] + report["spoof"] > 0
    names = {c["name"] for c in report["cues"]}
    assert {"duration_s", "leading_silence_s", "zero_share", "noise_floor_db", "rolloff_hz", "source_format"} <= names
