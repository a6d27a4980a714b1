"""Reporting duties: periods, due dates and fulfilment events (issue: reporting)."""

from __future__ import annotations


class DutiesMixin:
    """Registry methods for reporting duties and reports; `Registry` inherits them."""
