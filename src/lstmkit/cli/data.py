"""``lstmkit data``: list, inspect and register datasets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from .terminal import safe

app = typer.Typer(help="Bundled and registered datasets; each version known by its digest.",
                  no_args_is_help=True)


@app.command("list")
def list_datasets() -> None:
    """List bundled and registered datasets with their current digest."""
    from ..data.registry import list_datasets as datasets

    table = Table(title="Datasets")
    for column in ("name", "kind", "format", "rows", "digest", "licence / path"):
        table.add_column(column, justify="right" if column == "rows" else "left")
    for ref in datasets():
        table.add_row(*(safe(cell) for cell in (
            ref.name, ref.kind, ref.format, ref.rows, ref.short_digest,
            ref.licence if ref.kind == "bundled" else ref.source)))
    Console().print(table)


@app.command("info")
def info(name: Annotated[str, typer.Argument(help="Registered or bundled name, or a path.")],
         ) -> None:
    """Show a dataset's source, digest, columns, rows, provenance and versions seen."""
    from ..data.registry import bundled_catalog, dataset_versions, resolve

    ref = resolve(name)
    entry = bundled_catalog().get(ref.name, {}) if ref.kind == "bundled" else {}
    lines = [("name", ref.name), ("kind", ref.kind), ("source", ref.source),
             ("sha256", ref.digest), ("format", ref.format), ("rows", str(ref.rows)),
             ("columns", ", ".join(ref.columns))]
    lines += [(label, entry[k]) for label, k in (("title", "title"), ("about", "description"),
                                                  ("provenance", "source"), ("licence", "licence"))
              if k in entry]
    console = Console()
    for key, value in lines:
        console.print(f"[bold]{key:<12}[/] {safe(value)}", highlight=False, soft_wrap=True)
    for version in dataset_versions(ref.name):
        console.print(f"[bold]{'version':<12}[/] {safe(version['digest'][:12])}  "
                      f"{version['rows']} rows  first seen {version['seen']}", highlight=False)


@app.command("add")
def add(path: Annotated[Path, typer.Argument(help="The data file (.csv, .tsv or text).")],
        name: str = typer.Option(..., "--name", help="The name to use with --data.")) -> None:
    """Register a data file under a name, usable wherever --data is accepted."""
    from ..data.registry import add_dataset

    ref = add_dataset(path, name)
    typer.echo(safe(f"registered {ref.name}: {ref.source} ({ref.format}, {ref.rows} rows, "
                    f"sha256 {ref.short_digest})", markup=False))
