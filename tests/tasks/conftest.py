"""Background-task tests: the built-in periodic jobs really run (audit sealing exports its
checkpoints to a temporary folder)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

    from pytest_django.fixtures import Settings


@pytest.fixture(autouse=True)
def checkpoint_dir(settings: Settings, tmp_path: Path) -> Path:
    directory = tmp_path / "checkpoints"
    settings.LIUDONG_CHECKPOINT_DIR = directory
    return directory
