"""datasets/offline/synth.py: a synthesiser that hangs fails its utterance with a one-line reason."""

from __future__ import annotations

import subprocess

import pytest

from fakescope.datasets.offline import build, synth
from fakescope.errors import DatasetError


def _hang(command, **kwargs):
    raise subprocess.TimeoutExpired(command, kwargs["timeout"])


@pytest.mark.parametrize("system_id", ["S01", "S02"])  # espeak-ng, festival
def test_a_hung_synthesiser_fails_its_utterance_with_a_reason(system_id, monkeypatch):
    system = next(s for s in synth.TTS_SYSTEMS if s.system_id == system_id)
    monkeypatch.setattr(synth, "espeak_voice", lambda language: "en-us")  # asks espeak-ng for its voice list
    monkeypatch.setattr(synth.subprocess, "run", _hang)
    with pytest.raises(DatasetError, match=rf"{system.name}/.*: synthesis timed out after 120 s for text 'hello'"):
        synth.synthesise(system, system.voices[0], "hello", "en")


def test_the_build_keeps_going_past_any_subprocess_failure(monkeypatch):
    # The worker's net: whatever a synthesiser's subprocess raises becomes that utterance's failure reason.
    monkeypatch.setattr(build, "make_utterance", lambda *args: _hang(["text2wave"], timeout=120))

    class Task:
        utt_id, system, source = "FS_T_1", "S02", "-"

    utt_id, reason = build._safe_make(Task(), None, None)
    assert utt_id == "FS_T_1" and reason.startswith("S02: ") and "timed out" in reason
