"""Attestations issued from the register and their key events (issue: signed attestations)."""

from __future__ import annotations


class AttestMixin:
    """Registry methods for keys and attestations; `Registry` inherits them."""
