"""`fakescope list`: what each registry holds (front-ends, morphology ops, and later attacks, models, adapters)."""

from __future__ import annotations

import typer

from .app import app


@app.command("list")
def list_registries() -> None:
    """List the names registered for each kind (the names configs and CLI options accept)."""
    from ..datasets.adapters import ADAPTERS
    from ..features import FRONTENDS, MORPHOLOGY
    from ..launder import ATTACKS, available_codecs, grid_names
    from ..models import MODELS

    for registry in (FRONTENDS, MORPHOLOGY, ADAPTERS, MODELS, ATTACKS):
        typer.echo(f"{registry.kind}s: {', '.join(registry.names())}")
    typer.echo(f"codecs: {', '.join(available_codecs())}")
    typer.echo(f"grids: {', '.join(grid_names())}")
