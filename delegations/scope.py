"""Scope algebra: intersecting the limits of the steps of a chain.

`None` means "no restriction"; an empty tuple means "nothing is left". A child step that is
wider than its parent never widens the result: its excess simply falls out of the intersection.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal


def key_matches(pattern: str, key: str) -> bool:
    """`0119/61*` matches every key starting with `0119/61`; anything else must be equal."""
    return key.startswith(pattern[:-1]) if pattern.endswith("*") else key == pattern


def key_within(inner: str, outer: str) -> bool:
    """Is every key matched by pattern `inner` also matched by pattern `outer`?"""
    if outer.endswith("*"):
        return inner.startswith(outer[:-1])
    return inner == outer


def intersect(
    parent: tuple[str, ...] | None, child: tuple[str, ...] | None, within: Callable[[str, str], bool]
) -> tuple[str, ...] | None:
    if parent is None:
        return child
    if child is None:
        return parent
    out = [c for c in child if any(within(c, p) for p in parent)]
    out += [p for p in parent if p not in out and any(within(p, c) for c in child)]
    return tuple(sorted(set(out)))


def plain_intersect(parent: tuple[str, ...] | None, child: tuple[str, ...] | None) -> tuple[str, ...] | None:
    return intersect(parent, child, lambda a, b: a == b)


def lowest(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def widens(parent: tuple[str, ...], child: tuple[str, ...], within: Callable[[str, str], bool]) -> list[str]:
    """The items of a child restriction that reach outside its parent (for SCOPE_WIDENS_PARENT)."""
    if not parent or not child:  # an empty child restriction inherits the parent's
        return []
    return [c for c in child if not any(within(c, p) for p in parent)]
