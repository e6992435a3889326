"""Dataset registry: bundled datasets, registered files, digests that follow content."""

from __future__ import annotations

import hashlib

import pytest

from lstmkit.data.registry import (
    add_dataset,
    bundled_catalog,
    dataset_versions,
    list_datasets,
    resolve,
)
from lstmkit.errors import DatasetError


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LSTMKIT_HOME", str(tmp_path / "home"))
    return tmp_path


def test_registry_bundled_dataset_has_provenance_licence_and_digest():
    nile = resolve("nile")
    assert (nile.kind, nile.rows, nile.columns) == ("bundled", 100, ("year", "volume"))
    assert nile.digest == hashlib.sha256(nile.path.read_bytes()).hexdigest()
    assert nile.licence == "Public domain"
    for name, entry in bundled_catalog().items():
        assert {"file", "title", "description", "source", "licence"} <= set(entry), name


def test_registry_digest_changes_with_file_content_and_versions_are_kept(home):
    path = home / "sales.csv"
    path.write_text("day,units\n1,10\n2,12\n")
    first = add_dataset(path, "sales")
    assert resolve("sales").digest == first.digest
    path.write_text("day,units\n1,10\n2,13\n3,9\n")
    second = resolve("sales")
    assert second.digest != first.digest and second.rows == 3
    assert [v["digest"] for v in dataset_versions("sales")] == [first.digest, second.digest]


def test_registry_path_resolves_without_registration(home):
    path = home / "poem.txt"
    path.write_text("line one\nline two\n")
    ref = resolve(str(path))
    assert (ref.name, ref.kind, ref.format, ref.rows) == ("poem", "file", "text", 2)


def test_registry_unknown_name_lists_known_names(home):
    (home / "a.csv").write_text("x\n1\n")
    add_dataset(home / "a.csv", "mine")
    with pytest.raises(DatasetError, match=r"dataset 'nope' not found: .*known: .*mine"):
        resolve("nope")


def test_registry_add_refuses_missing_files_and_bundled_names(home):
    with pytest.raises(DatasetError, match=r"missing\.csv: no such file"):
        add_dataset(home / "missing.csv", "x")
    (home / "a.csv").write_text("x\n1\n")
    with pytest.raises(DatasetError, match=r"'nile' is a bundled dataset"):
        add_dataset(home / "a.csv", "nile")


def test_registry_list_shows_bundled_then_registered(home):
    (home / "a.csv").write_text("x\n1\n")
    add_dataset(home / "a.csv", "mine")
    assert [(d.name, d.kind) for d in list_datasets()][-1] == ("mine", "registered")
