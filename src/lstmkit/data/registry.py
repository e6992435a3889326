"""The dataset registry: bundled datasets and user files, each version known by digest.

A dataset is named by a path or a name. Names come from two places:

* **bundled** datasets, shipped inside lstmkit in ``lstmkit/data/datasets/`` with
  their provenance and licence in ``catalog.json`` (adding one = one data file plus
  one catalog entry, see ``docs/training.md``);
* **registered** user files (``lstmkit data add PATH --name NAME``), recorded in
  ``$LSTMKIT_HOME/datasets.json`` (``LSTMKIT_HOME`` defaults to ``./lstmkit-runs``).

Every version of a dataset is identified by the SHA-256 digest of its content: change
a file and its digest changes; the registry remembers each digest it has seen, and
every run records the one it used.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

from torch import Tensor

from ..errors import DatasetError
from ..io import SIMPLE_NAME_RULE, atomic_write, is_simple_name

TABULAR = {".csv": ",", ".tsv": "\t"}


@dataclass(frozen=True)
class DatasetRef:
    """One version of a dataset: where it is, what it holds, and its content digest.

    Attributes:
        name: registered or bundled name (a path's file stem for unregistered files).
        digest: SHA-256 hex digest of the content.
        source: the file path, or a description of generated data.
        path: the file, or None for generated data.
        format: ``"csv"``, ``"tsv"`` or ``"text"``; ``"tensors"`` for generated data.
        rows: data rows (lines for text, records for generated data).
        columns: column names (``("text",)`` for text files).
        kind: ``"bundled"``, ``"registered"``, ``"file"`` or ``"generated"``.
        title, licence: provenance of bundled datasets.
    """

    name: str
    digest: str
    source: str
    path: Path | None
    format: str
    rows: int
    columns: tuple[str, ...]
    kind: str
    title: str = ""
    licence: str = ""

    @property
    def short_digest(self) -> str:
        """The first 12 hex digits of the digest, for display."""
        return self.digest[:12]


def registry_file() -> Path:
    """``$LSTMKIT_HOME/datasets.json`` (``./lstmkit-runs/datasets.json`` by default)."""
    return Path(os.environ.get("LSTMKIT_HOME", "lstmkit-runs")) / "datasets.json"


def describe_file(path: Path, name: str, kind: str) -> DatasetRef:
    """Digest, format, row count and columns of a data file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read dataset ({exc.strerror})") from None
    delimiter = TABULAR.get(path.suffix.lower())
    text = data.decode("utf-8", errors="replace")
    if delimiter:
        rows = list(csv.reader(text.splitlines(), delimiter=delimiter))
        if not rows:
            raise DatasetError(f"{path}: empty {path.suffix[1:]} file, expected a header row")
        columns, count, fmt = tuple(rows[0]), len([r for r in rows[1:] if r]), path.suffix[1:]
    else:
        columns, count, fmt = ("text",), len(text.splitlines()), "text"
    return DatasetRef(name=name, digest=hashlib.sha256(data).hexdigest(), source=str(path),
                      path=path, format=fmt.lower(), rows=count, columns=columns, kind=kind)


def bundled_catalog() -> dict[str, dict[str, str]]:
    """The bundled datasets' catalog: ``{name: {file, title, description, source, licence}}``."""
    return json.loads(resources.files(__package__).joinpath("datasets/catalog.json").read_text())


def bundled(name: str) -> DatasetRef:
    """A bundled dataset by name."""
    entry = bundled_catalog()[name]
    path = Path(str(resources.files(__package__).joinpath("datasets", entry["file"])))
    return replace(describe_file(path, name, "bundled"), title=entry["title"],
                   licence=entry["licence"])


def read_registry() -> dict[str, dict]:
    """The user registry: ``{name: {"path": ..., "versions": [{digest, rows, seen}]}}``."""
    path = registry_file()
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{path}: corrupt dataset registry ({exc})") from None


def write_registry(entries: dict[str, dict]) -> None:
    """Atomically replace the user registry."""
    path = registry_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps(entries, indent=2, sort_keys=True).encode())


def record_version(entries: dict[str, dict], ref: DatasetRef) -> bool:
    """Add ``ref``'s digest to its entry's versions; True if it was new."""
    versions = entries[ref.name].setdefault("versions", [])
    if any(v["digest"] == ref.digest for v in versions):
        return False
    versions.append({"digest": ref.digest, "rows": ref.rows,
                     "seen": datetime.now(timezone.utc).isoformat(timespec="seconds")})
    return True


def add_dataset(path: str | os.PathLike, name: str) -> DatasetRef:
    """Register the file at ``path`` under ``name`` (re-adding a name points it at ``path``).

    Raises:
        DatasetError: if the file is missing, or ``name`` is a bundled dataset's or not
            a simple name.
    """
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    if not is_simple_name(name):
        raise DatasetError(f"invalid dataset name {name!r}: use {SIMPLE_NAME_RULE}")
    if name in bundled_catalog():
        raise DatasetError(f"{name!r} is a bundled dataset; choose another name")
    ref = describe_file(path, name, "registered")
    entries = read_registry()
    entries[name] = {"path": str(path), "versions": entries.get(name, {}).get("versions", [])}
    record_version(entries, ref)
    write_registry(entries)
    return ref


def resolve(path_or_name: str | os.PathLike) -> DatasetRef:
    """The dataset named by an existing file path, a registered name or a bundled name.

    A path wins over a name. Resolving a registered name records a new content digest
    in the registry's versions.

    Raises:
        DatasetError: naming what was looked for and listing the known names.
    """
    text = str(path_or_name)
    path = Path(text).expanduser()
    if path.is_file():
        return describe_file(path.resolve(), path.stem, "file")
    entries = read_registry()
    if text in entries:
        ref = describe_file(Path(entries[text]["path"]), text, "registered")
        if record_version(entries, ref):
            write_registry(entries)
        return ref
    if text in bundled_catalog():
        return bundled(text)
    known = ", ".join(sorted({*entries, *bundled_catalog()})) or "none"
    raise DatasetError(f"dataset {text!r} not found: no such file, and not a registered or "
                       f"bundled name (known: {known}); register a file with "
                       "'lstmkit data add PATH --name NAME'")


def list_datasets() -> list[DatasetRef]:
    """Every bundled and registered dataset, at its current content."""
    return [bundled(n) for n in sorted(bundled_catalog())] + [
        resolve(n) for n in sorted(read_registry())]


def dataset_versions(name: str) -> list[dict]:
    """The versions seen of a registered dataset (empty for bundled ones)."""
    return read_registry().get(name, {}).get("versions", [])


def describe_tensors(name: str, source: str, tensors: dict[str, Tensor]) -> DatasetRef:
    """A :class:`DatasetRef` for generated data (e.g. a synthetic task), for tracking.

    The digest covers each tensor's name, dtype, shape and values; ``rows`` is the size
    of dimension 0 and ``columns`` the tensor names.

    Example:
        >>> ref = describe_tensors("toy", "generated", {"x": torch.zeros(3, 2)})
        >>> ref.rows, ref.columns, ref.kind
        (3, ('x',), 'generated')
    """
    digest = hashlib.sha256()
    for key in sorted(tensors):
        t = tensors[key].detach().cpu().contiguous()
        digest.update(f"{key}:{t.dtype}:{tuple(t.shape)};".encode())
        digest.update(t.numpy().tobytes())
    rows = next(iter(tensors.values())).shape[0] if tensors else 0
    return DatasetRef(name=name, digest=digest.hexdigest(), source=source, path=None,
                      format="tensors", rows=rows, columns=tuple(sorted(tensors)),
                      kind="generated")
