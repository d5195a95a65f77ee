"""Shared fixtures. Add new fixtures below; do not rewrite others'."""
from __future__ import annotations

import pytest

from helpers.tiny_model import build_tiny_model


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A tiny random BERT token classifier (schema labels) saved like a trained model."""
    return build_tiny_model(tmp_path_factory.mktemp("tiny_model"))
