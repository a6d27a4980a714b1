"""The packaged rulebook (DLB rules, power catalogue, document types) plus local additions."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from . import model as m


@cache
def rulebook() -> dict:
    return json.loads(resources.files(__package__).joinpath("rulebook.json").read_text(encoding="utf-8"))


@cache
def packaged_rules() -> dict[str, m.Rule]:
    from .converter import structure

    return {r["id"]: structure(r, m.Rule) for r in rulebook()["rules"]}


def family(power: str) -> str:
    return power.split(".", 1)[0]


def power_covers(granted: str, asked: str) -> bool:
    """Granting a family (or any node) grants everything below it."""
    return asked == granted or asked.startswith(granted + ".")


class Catalogue:
    """Powers, rules and document types known to one register: packaged plus local."""

    def __init__(self, local_powers: dict[str, m.Power] | None = None, local_rules: dict[str, m.Rule] | None = None):
        book = rulebook()
        self.powers: dict[str, m.Power] = {p["id"]: m.Power(p["id"], p["name"]) for p in book["powers"]}
        self.powers.update(local_powers or {})
        self.rules: dict[str, m.Rule] = dict(packaged_rules())
        self.rules.update(local_rules or {})
        self.document_types: frozenset[str] = frozenset(book["document_types"])
        self.signature_families: frozenset[str] = frozenset(book["signature_families"])
        # holder organ -> [(rule, holding)] for a quick law step lookup
        self.holdings: dict[str, list[tuple[m.Rule, m.Holding]]] = {}
        for rule in self.rules.values():
            for h in rule.effective_holdings():
                self.holdings.setdefault(h.holder, []).append((rule, h))

    def is_signature_power(self, power: str) -> bool:
        return family(power) in self.signature_families

    def rule_governs(self, rule: m.Rule, power: str) -> bool:
        return any(power_covers(p, power) for p in rule.powers)

    def excluded(self, items: tuple[str, ...], power: str, document_type: str | None) -> str | None:
        """The first item of `items` (power ids or document types) that takes this question out."""
        for item in items:
            if power_covers(item, power) or (document_type is not None and item == document_type):
                return item
        return None
