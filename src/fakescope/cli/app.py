"""The typer application and the error boundary shared by every command.

Commands live in one module each (cli/<command>.py) and register themselves on `app`.
Exit codes: 0 success, 1 a batch finished but some inputs failed (listed at the end),
2 bad input or usage (one line on stderr, never a traceback), 130 interrupted.
"""

from __future__ import annotations

import sys

import typer

from ..errors import FakescopeError

app = typer.Typer(
    name="fakescope",
    help="Tell real speech from synthetic speech by analysing spectrograms, and show why.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

EXIT_PARTIAL = 1
EXIT_BAD_INPUT = 2


def fail(message: str) -> "typer.Exit":
    """Print one error line and return the exit to raise: `raise fail("...")`."""
    typer.echo(f"fakescope: error: {message}", err=True)
    return typer.Exit(EXIT_BAD_INPUT)


def report_failures(failures: list[tuple[str, str]]) -> int:
    """List the inputs a batch command skipped; return the exit code the batch should end with."""
    if not failures:
        return 0
    typer.echo(f"{len(failures)} input(s) failed:", err=True)
    for name, reason in failures:
        typer.echo(f"  {name}: {reason}", err=True)
    return EXIT_PARTIAL


def main(argv: list[str] | None = None) -> None:
    """Console entry point: runs the app and turns FakescopeError into one line and exit code 2.

    Typer (standalone mode) handles usage errors and Ctrl-C itself; our errors propagate to here.
    """
    from . import commands  # noqa: F401  (registers every command on `app`)

    try:
        app(args=argv)
    except FakescopeError as exc:
        typer.echo(f"fakescope: error: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except OSError as exc:  # disk full, permission denied on an output folder, ...
        where = f"{exc.filename}: " if exc.filename else ""
        typer.echo(f"fakescope: error: {where}{exc.strerror or exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)


@app.callback()
def _root() -> None:
    """Tell real speech from synthetic speech by analysing spectrograms, and show why."""
