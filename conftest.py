"""Doctest namespace: docstring examples may use ``torch`` and ``lstmkit`` unimported."""

import pytest
import torch

import lstmkit


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace):
    doctest_namespace.update(torch=torch, lstmkit=lstmkit)
