"""CLI commands `attest`, `verify` and `keys`."""

from __future__ import annotations


def register(sub, add) -> None:
    """Add the subparsers; handlers register themselves with cli.commands.command."""
