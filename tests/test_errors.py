"""The error types survive a trip through a worker process (pickling), message and fields intact."""

import pickle
from concurrent.futures import ProcessPoolExecutor

import pytest

from fakescope.errors import AudioError


def _raise_audio_error(name: str) -> None:
    raise AudioError(name, "is digital silence (all samples are zero)")


def test_audio_error_pickles_with_its_fields():
    error = pickle.loads(pickle.dumps(AudioError("clip.wav", "contains no audio samples (empty)")))
    assert isinstance(error, AudioError)
    assert (error.source, error.reason) == ("clip.wav", "contains no audio samples (empty)")
    assert str(error) == "clip.wav: contains no audio samples (empty)"


def test_audio_error_raised_in_a_worker_reaches_the_parent():
    with ProcessPoolExecutor(max_workers=1) as pool:
        future = pool.submit(_raise_audio_error, "quiet.flac")
        with pytest.raises(AudioError, match=r"^quiet\.flac: is digital silence") as caught:
            future.result(timeout=60)
    assert caught.value.source == "quiet.flac"
