"""The exception hierarchy: every error a user can cause is a FakescopeError.

Edges (CLI, HTTP) catch FakescopeError and print its message as one line; anything else is a bug.
"""

from __future__ import annotations


class FakescopeError(Exception):
    """Base class of every error fakescope raises on purpose."""


class AudioError(FakescopeError):
    """Audio could not be read or failed validation. The message starts with the file's name."""

    def __init__(self, source: object, reason: str) -> None:
        self.source = str(source)
        self.reason = reason
        super().__init__(f"{self.source}: {reason}")

    def __reduce__(self):
        # Exception pickles as cls(*args), and args holds only the joined message: without this, an AudioError
        # raised in a worker process cannot be unpickled in the parent, and the process pool breaks or hangs.
        return (type(self), (self.source, self.reason))


class ParameterError(FakescopeError, ValueError):
    """An argument is outside its allowed range; the message names the range and the value."""


class DatasetError(FakescopeError):
    """A dataset tree, protocol or manifest is missing pieces or malformed."""


class CheckpointError(FakescopeError):
    """A checkpoint is missing, unreadable or incompatible."""
