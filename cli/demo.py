"""`delegaties demo`: the bundled example in a temporary register, a handful of answers."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path


def examples_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "examples"


def run_demo(args: argparse.Namespace) -> int:
    return 0
