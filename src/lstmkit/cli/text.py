"""``lstmkit text``: train, evaluate, generate from, suggest with and inspect a language
model of text."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from ..errors import ConfigError
from ..limits import MAX_BEAM, MAX_LENGTH, MAX_TOP, check_count
from .model_dirs import model_dir as find_model
from .task_options import task_command
from .terminal import safe, strip_controls

app = typer.Typer(help="Language models of text: train, evaluate, generate, suggest, inspect.",
                  no_args_is_help=True)
MODEL_DIR = typer.Argument(..., help="A model directory (or the run directory holding it).",
                           show_default=False)
PAGE = typer.Option("inspect.html", "--out", help="HTML page to write (and OUT with .png), "
                    "each replaced atomically.")
CELLS = typer.Option(None, "--cells", help="LAYER:UNIT (repeatable); default: the cells "
                     "most correlated with features of the text.")


def load_text_model(path: Path):
    """The :class:`~lstmkit.tasks.text.TextModel` in ``path`` or ``path/model``."""
    from ..tasks.text import TextModel

    return TextModel.load(find_model(path, "lstmkit text train"))


def _one_budget(task: dict, train: dict) -> None:
    if task.get("minutes") is not None and train.get("epochs") is not None:
        raise ConfigError("give --minutes or --epochs, not both")


def _report(record, experiment, prepared) -> None:
    for key, value in record.result.metrics.items():
        typer.echo(f"{safe(key, markup=False)}: {value:.4f}")
    typer.echo(safe(f"model: {record.result.model_dir}\nmetrics: "
                    f"{record.run_dir / 'metrics.json'}", markup=False))


def _train_command():
    from ..tasks.text import TextModel
    from ..tasks.text.task import TextTaskSettings

    return task_command(
        "text", settings=TextTaskSettings, train=TextModel.default_train_config(),
        train_fields=("epochs", "lr", "seed"),
        data=("shakespeare", "Text file or dataset name."),
        out=("lstmkit-runs/outputs/text", "Run directory (the model goes to OUT/model): "
             "new, empty, or written by lstmkit (replaced whole when the run completes)."),
        check=_one_budget, report=_report,
        doc="""Train a language model; writes OUT/model and OUT/metrics.json.

    The run is staged beside OUT and replaces it whole once complete; a non-empty OUT
    that lstmkit did not write is refused unless --overwrite.

    The last test_fraction of the text (10%) is held out and scored at the end
    (test_bpc, or test_perplexity at word level); validation comes from the end of the
    rest. Every setting is an option; --train.KEY=VALUE sets any other training setting.
    """)


app.command("train", context_settings={"allow_extra_args": True,
                                       "ignore_unknown_options": True})(_train_command())


@app.command("evaluate")
def evaluate(
    model_dir: Path = MODEL_DIR,
    data: str = typer.Option(..., "--data", help="Text file (or dataset name) to score."),
    adapt: bool = typer.Option(False, "--adapt", help="Dynamic evaluation: learn from "
                               "each segment of the text after scoring it."),
    cache: bool = typer.Option(True, "--cache/--no-cache", help="Mix in the model's "
                               "continuous cache (if it has one); --no-cache scores the "
                               "network alone."),
) -> None:
    """Bits per character (or perplexity) of a text under the model, as JSON on stdout."""
    from ..data.registry import resolve
    from ..data.text import read_text

    model = load_text_model(model_dir)
    metrics = model.evaluate(read_text(resolve(data).path), adapt=adapt, cache=cache)
    key = "bpc" if "bpc" in metrics else "perplexity"
    typer.echo(f"{key.replace('bpc', 'bits per character')}: {metrics[key]:.4f} "
               f"over {int(metrics['tokens'])} tokens", err=True)
    typer.echo(json.dumps(metrics))


@app.command("generate")
def generate(
    model_dir: Path = MODEL_DIR,
    prompt: str = typer.Option(..., "--prompt", help="Text to start from."),
    length: int = typer.Option(500, "--length", help="Tokens to generate (at most "
                               "1000000)."),
    temperature: float = typer.Option(1.0, "--temperature", help="0 is greedy."),
    top_k: int | None = typer.Option(None, "--top-k", help="Sample among the k likeliest."),
    top_p: float | None = typer.Option(None, "--top-p", help="Nucleus sampling mass."),
    beam: int = typer.Option(1, "--beam", help="Beam search width (> 1: deterministic; at "
                             "most 256)."),
    seed: int | None = typer.Option(None, "--seed", help="Same seed, same text."),
    cache: bool = typer.Option(False, "--cache", help="Mix in the model's continuous cache "
                               "(off: it copies the model's own output into loops)."),
) -> None:
    """Continue a prompt, streaming the text as it is produced."""
    check_count("--length", length, MAX_LENGTH)
    check_count("--beam", beam, MAX_BEAM)
    model = load_text_model(model_dir)
    model.encode_prompt(prompt)  # fail on a bad prompt before printing anything

    def write(piece: str) -> None:
        sys.stdout.write(strip_controls(piece))  # the model's text, not markup
        sys.stdout.flush()

    write(prompt)
    model.generate(prompt, length=length, temperature=temperature, top_k=top_k, top_p=top_p,
                   beam=beam, seed=seed, stream=write, cache=cache)
    write("\n")


@app.command("suggest")
def suggest(
    model_dir: Path = MODEL_DIR,
    prompt: str = typer.Option(..., "--prompt", help="Text so far."),
    top: int = typer.Option(5, "--top", help="How many suggestions (at most 10000)."),
    words: bool = typer.Option(
        False, "--words", help="Complete the word the prompt ends with: whole words and "
        "the probability that the word being typed is exactly that one (character-level "
        "models; word-level tokens already are words)."),
    cache: bool = typer.Option(True, "--cache/--no-cache", help="Mix in the model's "
                               "continuous cache (names and words from a long prompt)."),
) -> None:
    """The likeliest next tokens (or, with --words, words) and their probabilities."""
    check_count("--top", top, MAX_TOP)
    model = load_text_model(model_dir)
    for token, p in model.suggest(prompt, top=top, words=words, cache=cache):
        typer.echo(f"{p:.4f}  {safe(repr(token), markup=False)}")


@app.command("inspect")
def inspect(
    model_dir: Path = MODEL_DIR,
    text: str = typer.Option(..., "--text", help="Text, or a path to a text file."),
    cells: list[str] | None = CELLS,
    quantity: str = typer.Option("c", "--quantity", help="c, h or a gate (i, f, g, o)."),
    out: Path = PAGE,
) -> None:
    """Colour each character by cells' activations: OUT (HTML) and OUT with .png."""
    from ..data.text import read_text
    from ..io import check_output_file

    page = check_output_file(out, option="--out")
    check_output_file(out.with_suffix(".png"), option="--out (its .png)")
    model = load_text_model(model_dir)
    content = read_text(text) if _is_file(text) else text
    model.inspect(content, out=page, cells=cells, quantity=quantity)
    typer.echo(safe(f"wrote {out} and {out.with_suffix('.png')}", markup=False))


def _is_file(text: str) -> bool:
    try:
        return "\n" not in text and Path(text).is_file()
    except OSError:  # e.g. a long text is not a valid file name
        return False
