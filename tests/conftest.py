"""Fixtures shared by the behaviour tests. Registers always live in pytest's temporary directories."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import EXAMPLE, copy_register


@pytest.fixture(scope="session")
def example_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled example imported once per session; tests get copies, never this file."""
    from registry import Registry

    path = tmp_path_factory.mktemp("template") / "voorbeeldegem.db"
    reg = Registry.init(path)
    reg.load(EXAMPLE)
    reg.close()
    return path


@pytest.fixture
def example_db(example_template: Path, tmp_path: Path) -> Path:
    """A private copy of the example register for one test (it may write to it)."""
    return copy_register(example_template, tmp_path / "voorbeeldegem.db")
