"""``lstmkit export MODEL_DIR``: a saved model's network as an ONNX file (or a
``torch.export`` program), batch and time dynamic, the state explicit with ``--step``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import ConfigError, ModelFileError
from .model_dirs import model_dir as find_model
from .terminal import safe

FORMATS = {"onnx": ".onnx", "pt2": ".pt2"}


def export(
    model_dir: Annotated[Path, typer.Argument(
        help="A saved model directory (or an --out directory holding model/).")],
    format: str = typer.Option("onnx", "--format", help="onnx, or pt2 (torch.export)."),
    out: Annotated[Path | None, typer.Option(
        "--out", help="File to write, replaced atomically (default: model.onnx, or "
                      "model-step.onnx with --step, in the current directory).")] = None,
    step: bool = typer.Option(False, "--step", help="Export one streaming step (state in, "
                              "state out) instead of a whole sequence."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Export a text model without "
                                  "its neural cache (which cannot be exported)."),
) -> None:
    """Export a saved model's network for serving (see docs/export.md)."""
    from ..io import check_output_file

    if format not in FORMATS:
        raise ConfigError(f"--format {format}: unknown format; valid: {', '.join(FORMATS)}")
    default = Path(("model-step" if step else "model") + FORMATS[format])
    target = check_output_file(out if out is not None else default, option="--out")
    network = _network(find_model(model_dir, "lstmkit train"), no_cache)
    target.parent.mkdir(parents=True, exist_ok=True)
    if format == "onnx":
        from ..export import to_onnx

        to_onnx(network, target, step=step)
    else:
        _write_program(network, target, step)
    typer.echo(safe(f"wrote {out if out is not None else default}", markup=False), err=True)


def _network(path: Path, no_cache: bool):
    """The fitted network of the model saved in ``path``, in eval mode."""
    from ..tasks.adding import SequenceRegressor
    from ..tasks.forecasting import Forecaster
    from ..tasks.text import TextModel
    from ..training.model_files import read_header

    classes = {cls.task: cls for cls in (Forecaster, TextModel, SequenceRegressor)}
    task = read_header(path).get("task", "")
    if task not in classes:
        raise ModelFileError(f"{path / 'config.json'}: a {task or 'untyped'!r} model; "
                             f"export reads {', '.join(sorted(classes))} models")
    network = classes[task].load(path)._network().eval()
    if no_cache and getattr(network, "cache", None) is not None:
        network.cache = None
    return network


def _write_program(network, target: Path, step: bool) -> None:
    import torch

    from ..export import export_program
    from ..io import atomic_file

    program = export_program(network, step=step)
    with atomic_file(target) as part:
        torch.export.save(program, part)
