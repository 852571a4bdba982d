"""`fakescope datasets ...`: dataset import, balancing, splitting, statistics, checks and the shortcut audit."""

from __future__ import annotations

import typer

from .app import app

datasets_app = typer.Typer(help="Import, balance, split, check and audit datasets (all as manifests).", no_args_is_help=True)
app.add_typer(datasets_app, name="datasets")
