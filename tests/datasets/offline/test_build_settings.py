"""A corpus folder holds one corpus: a build with other settings (or from before channels) is not resumed."""

from __future__ import annotations

import json

import pytest

from typer.testing import CliRunner

from fakescope.datasets.offline.build import _check_resume, build_settings, built_with_other_settings, within_band
from fakescope.datasets.offline.vocode import VOCODER_SYSTEMS
from fakescope.errors import DatasetError


def test_a_folder_from_before_channels_is_not_resumed(tmp_path):
    old = {"size": "small", "seed": 0, "equalised": True}  # what builds wrote before spoofs took on channels
    (tmp_path / ".build.json").write_text(json.dumps(old))
    now = build_settings("small", 0, True)
    assert now["channels"] is True and built_with_other_settings(tmp_path, now) == old
    with pytest.raises(DatasetError, match="use another --out"):
        _check_resume(tmp_path, now)


def test_same_settings_resume(tmp_path):
    now = build_settings("tiny", 3, False)
    _check_resume(tmp_path, now)
    assert built_with_other_settings(tmp_path, now) is None
    assert built_with_other_settings(tmp_path / "absent", now) is None
    _check_resume(tmp_path, now)  # again: no error


def test_the_band_is_part_of_the_settings_only_when_it_is_not_the_default(tmp_path):
    assert "band_hz" not in build_settings("small", 0, True)  # folders built before --band-hz stay resumable
    assert build_settings("small", 0, True, 3800.0) == build_settings("small", 0, True)
    wide = build_settings("small", 0, True, 7600.0)
    assert wide["band_hz"] == 7600.0
    _check_resume(tmp_path, build_settings("small", 0, True))
    with pytest.raises(DatasetError, match="use another --out"):  # one folder, one band
        _check_resume(tmp_path, wide)


def test_a_vocoder_whose_output_stops_below_the_band_is_left_out():
    kept, skipped = within_band(list(VOCODER_SYSTEMS), 3800.0)
    assert kept == list(VOCODER_SYSTEMS) and skipped == []
    kept, skipped = within_band(list(VOCODER_SYSTEMS), 7600.0)
    assert [s.system_id for s in kept] == [s.system_id for s in VOCODER_SYSTEMS if s.system_id != "S11"]
    assert [s["name"] for s in skipped] == ["S11 codec2"]
    assert "4000 Hz" in skipped[0]["reason"] and "7600 Hz" in skipped[0]["reason"]


@pytest.mark.parametrize("band", ["9000", "50"])
def test_a_band_outside_the_rate_fails_with_one_line(tmp_path, band):
    from fakescope.cli import commands  # noqa: F401
    from fakescope.cli.app import app

    result = CliRunner().invoke(app, ["corpus", "build", "--out", str(tmp_path / "c"), "--band-hz", band])
    assert result.exit_code != 0 and f"--band-hz {band}" in result.output
    assert len(result.output.strip().splitlines()) == 1 and not (tmp_path / "c").exists()
