"""Spectrogram images: size, orientation, colour, morphology, and the resumable batch job."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from PIL import Image

from fakescope.errors import ParameterError
from fakescope.features.image_job import run_image_job
from fakescope.features.images import ImageSpec, SpectrogramImager, write_png
from fakescope.features.morphology import MorphologySpec
from fakescope.inputs import collect_inputs


def test_default_image_is_128_square_grayscale(speech):
    image = SpectrogramImager(ImageSpec()).render([speech.samples[0]])[0]
    assert image.shape == (128, 128) and image.dtype == np.uint8
    assert image.min() < 40 and image.max() > 215  # the dB window spans black to white


def test_low_frequencies_are_at_the_bottom():
    t = np.arange(16000) / 16000
    low = (0.5 * np.sin(2 * np.pi * 200 * t)).astype(np.float32)
    image = SpectrogramImager(ImageSpec(frontend="stft")).render([low])[0].astype(float)
    assert image[-16:].mean() > image[:16].mean() + 50


def test_colormap_morphology_and_size(speech):
    spec = ImageSpec(frontend="stft", size=(64, 96), colormap="magma", morphology=MorphologySpec("opening", (3, 3), "ellipse"))
    image = SpectrogramImager(spec).render([speech.samples[0]])[0]
    assert image.shape == (64, 96, 3)
    plain = SpectrogramImager(ImageSpec(frontend="stft", size=(64, 96), colormap="magma")).render([speech.samples[0]])[0]
    assert not np.array_equal(image, plain)


def test_batch_of_different_lengths_equals_one_by_one(speech):
    imager = SpectrogramImager(ImageSpec())
    short, long = speech.samples[0][:8000], speech.samples[0]
    together = imager.render([short, long])
    np.testing.assert_allclose(together[0].astype(int), imager.render([short])[0].astype(int), atol=1)
    np.testing.assert_allclose(together[1].astype(int), imager.render([long])[0].astype(int), atol=1)


@pytest.mark.parametrize("frontend", ["stft", "mel", "lfcc", "cqt"])
def test_every_frontend_renders(speech, frontend):
    assert SpectrogramImager(ImageSpec(frontend=frontend)).render([speech.samples[0]])[0].shape == (128, 128)


def test_bad_specs_are_refused():
    with pytest.raises(ParameterError, match="colormap"):
        ImageSpec(colormap="rainbowz")
    with pytest.raises(ParameterError, match="image size"):
        ImageSpec(size=(2, 2))


def test_write_png_round_trip(tmp_path):
    image = (np.arange(128 * 128) % 256).astype(np.uint8).reshape(128, 128)
    path = write_png(tmp_path / "sub" / "x.png", image)
    np.testing.assert_array_equal(np.asarray(Image.open(path)), image)
    assert not list(tmp_path.glob("sub/.*"))  # no temporary file left behind


def test_image_job_writes_index_skips_existing_and_reports_bad_files(tmp_path, write_wav):
    for i in range(3):
        write_wav(f"data/real/r{i}.wav")
        write_wav(f"data/fake/f{i}.flac")
    (tmp_path / "data" / "fake" / "broken.wav").write_bytes(b"RIFF" + b"\x00" * 10)
    items, failures = collect_inputs([tmp_path / "data"])
    assert len(items) == 7 and not failures
    out = tmp_path / "png"
    first = run_image_job(items, out, ImageSpec(), workers=1)
    assert first.written == 6 and first.skipped == 0
    assert [f[0].endswith("broken.wav") for f in first.failures] == [True]
    rows = list(csv.DictReader(open(first.index_path)))
    assert len(rows) == 6
    assert {r["label"] for r in rows} == {"bonafide", "spoof"}
    assert all((out / r["png"]).is_file() for r in rows)
    second = run_image_job(items, out, ImageSpec(), workers=1)
    assert second.written == 0 and second.skipped == 6


@pytest.mark.slow
def test_image_job_with_worker_processes(tmp_path, write_wav):
    for i in range(10):
        write_wav(f"in/a{i}.wav", seconds=0.5)
    items, _ = collect_inputs([tmp_path / "in"])
    result = run_image_job(items, tmp_path / "out", ImageSpec(), workers=2)
    assert result.written == 10 and not result.failures
    assert len(list((tmp_path / "out").glob("*.png"))) == 10
