"""CLI commands `duties` and `report`."""

from __future__ import annotations


def register(sub, add) -> None:
    """Add the subparsers; handlers register themselves with cli.commands.command."""
