"""The `fakescope` command line: a thin edge over the library."""

from .app import app, main

__all__ = ["app", "main"]
