"""Morphology equals scipy.ndimage grey morphology exactly, batched, for every op, shape and border."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi
import torch

from fakescope.errors import ParameterError
from fakescope.features import MORPHOLOGY, Morphology, MorphologySpec, structuring_element

SCIPY = {
    "erosion": ndi.grey_erosion,
    "dilation": ndi.grey_dilation,
    "opening": ndi.grey_opening,
    "closing": ndi.grey_closing,
    "tophat_white": ndi.white_tophat,
    "tophat_black": ndi.black_tophat,
}


def test_registry_holds_every_op():
    assert MORPHOLOGY.names() == sorted(SCIPY)


@pytest.mark.parametrize("op", sorted(SCIPY))
@pytest.mark.parametrize("shape", ["rect", "ellipse", "cross"])
@pytest.mark.parametrize("size", [(3, 3), (5, 3), (1, 7), (7, 5)])
def test_matches_scipy_exactly(op, shape, size, rng):
    images = torch.from_numpy(rng.standard_normal((3, 2, 17, 23)))  # (B, C, F, T) float64
    out = Morphology(op, size=size, shape=shape)(images)
    assert out.shape == images.shape
    footprint = structuring_element(size, shape)
    for b in range(3):
        for c in range(2):
            expected = SCIPY[op](images[b, c].numpy(), footprint=footprint, mode="nearest")
            np.testing.assert_array_equal(out[b, c].numpy(), expected)


@pytest.mark.parametrize("border", ["nearest", "reflect", "mirror"])
def test_border_modes_match_scipy(border, rng):
    images = torch.from_numpy(rng.random((2, 1, 9, 12)).astype(np.float32))
    footprint = structuring_element((5, 5), "ellipse")
    out = Morphology("closing", size=(5, 5), shape="ellipse", border=border)(images)
    for b in range(2):
        np.testing.assert_array_equal(out[b, 0].numpy(), ndi.grey_closing(images[b, 0].numpy(), footprint=footprint, mode=border))


def test_structuring_elements():
    assert structuring_element((3, 3), "cross").tolist() == [[False, True, False], [True, True, True], [False, True, False]]
    assert structuring_element((3, 5), "rect").all()
    ellipse = structuring_element((5, 5), "ellipse")
    assert ellipse[2].all() and ellipse[:, 2].all() and not ellipse[0, 0]


def test_even_sizes_and_unknown_names_are_refused():
    with pytest.raises(ParameterError, match="must be odd"):
        structuring_element((4, 3))
    with pytest.raises(ParameterError, match="shape must be one of"):
        structuring_element((3, 3), "star")
    with pytest.raises(ParameterError, match="unknown morphology op"):
        Morphology("blur")


def test_spec_parsing_round_trip():
    spec = MorphologySpec.parse("opening:3x5:ellipse")
    assert (spec.op, spec.size, spec.shape) == ("opening", (3, 5), "ellipse")
    assert MorphologySpec.parse("closing:5").size == (5, 5)
    assert Morphology.from_spec("erosion").spec.size == (3, 3)
    assert spec.to_dict() == {"op": "opening", "size": [3, 5], "shape": "ellipse", "border": "nearest"}
    with pytest.raises(ParameterError, match="bad morphology size"):
        MorphologySpec.parse("opening:axb")


def test_registry_create_builds_modules():
    module = MORPHOLOGY.create("dilation", size=(3, 3))
    assert isinstance(module, Morphology) and module.spec.op == "dilation"
