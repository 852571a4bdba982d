"""The registry: decorator registration, creation, errors that list the choices."""

from __future__ import annotations

import pytest

from fakescope.errors import ParameterError
from fakescope.registry import Registry


def test_register_get_create_and_list():
    things: Registry = Registry("thing")

    @things.register("b")
    class B:
        def __init__(self, *, size: int = 1) -> None:
            self.size = size

    things.register("a")(dict)
    assert things.names() == ["a", "b"] and "b" in things and len(things) == 2
    assert things.create("b", size=3).size == 3
    with pytest.raises(ParameterError, match="unknown thing 'c'; choose one of: a, b"):
        things.get("c")
    with pytest.raises(ValueError, match="registered twice"):
        things.register("a")(list)
