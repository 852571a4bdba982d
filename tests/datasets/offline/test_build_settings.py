"""A corpus folder holds one corpus: a build with other settings (or from before channels) is not resumed."""

from __future__ import annotations

import json

import pytest

from fakescope.datasets.offline.build import _check_resume, build_settings, built_with_other_settings
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
