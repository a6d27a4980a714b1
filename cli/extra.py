"""Commands built on the core: attestations and keys, duties and reports (registered lazily)."""

from __future__ import annotations
