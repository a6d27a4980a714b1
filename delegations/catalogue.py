"""What one register knows of the law: its jurisdiction's rulebook plus its own local rules and powers.

Local rules are the administration's own regulations. They narrow what the law allows and never
widen it: a local rule with a holder describes a holding the law already gives that organ (it
then stands in the chain instead of the packaged rule, so a chain is never doubled), and a
decision that cites it must also respect it. Only a rule the rulebook marks `overridable` (a
reading of an unclear source) can be replaced, by a local rule that names it in `overrides`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from attrs import frozen

from . import model as m
from .rulebook import Jurisdiction, load
from .scope import key_matches


def family(power: str) -> str:
    return power.split(".", 1)[0]


def power_covers(granted: str, asked: str) -> bool:
    """Granting a family (or any node) grants everything below it."""
    return asked == granted or asked.startswith(granted + ".")


@frozen
class LawSource:
    """Where a chain starts: `rule` gives `holding` to its holder; `basis` is the packaged rule
    behind it (the same rule, or the one a local regulation describes or replaces)."""

    rule: m.Rule
    holding: m.Holding
    basis: m.Rule


class Catalogue:
    """Powers, rules, organs and kinds known to one register: packaged plus local."""

    def __init__(self, local_powers: dict[str, m.Power] | None = None, local_rules: dict[str, m.Rule] | None = None,
                 jurisdiction: str = m.DEFAULT_JURISDICTION):
        self.book: Jurisdiction = load(jurisdiction)
        book = self.book
        self.jurisdiction = book.id
        self.powers: dict[str, m.Power] = dict(book.powers)
        self.powers.update(local_powers or {})
        self.packaged: dict[str, m.Rule] = book.rules
        self.local: dict[str, m.Rule] = dict(local_rules or {})
        self.rules: dict[str, m.Rule] = {**book.rules, **self.local}
        self.document_types: frozenset[str] = book.document_types
        self.signature_families: frozenset[str] = book.signature_families
        self.organs = book.organs
        self.entities = book.entities
        self.overridden: dict[str, list[m.Rule]] = {}
        for rule in self.local.values():
            for target in rule.overrides:
                if target in self.packaged and self.packaged[target].overridable:
                    self.overridden.setdefault(target, []).append(rule)
        self.substitutions = [r for r in book.rules.values() if r.substitution is not None]
        self.acting = [r for r in book.rules.values() if r.acting is not None]
        self.conditions = [r for r in book.rules.values() if r.condition is not None]
        self.visum_regulations = [r for r in self.local.values() if r.visum_exempt]
        self._sources: dict[tuple[str, str, str], list[LawSource]] = {}
        self._permits: dict[str, list[m.Rule]] = {}
        self._binding: dict[str, list[m.Rule]] = {}
        self._restricted: dict[str, frozenset[str]] = {}
        self._entities: dict[str, frozenset[str]] = {}
        self._conditions: dict[tuple[str, str], list[m.Rule]] = {}
        # holder -> [(rule, holding)]: every holding, for listing who might hold a power at all
        self.holdings: dict[str, list[tuple[m.Rule, m.Holding]]] = {}
        for rule in book.rules.values():
            if rule.id in self.overridden and rule.holdings:
                continue
            for h in rule.holdings:
                self.holdings.setdefault(h.holder, []).append((rule, h))
        for rule in self.local.values():
            for h in rule.effective_holdings():
                self.holdings.setdefault(h.holder, []).append((rule, h))

    # -- names -----------------------------------------------------------------------------
    def is_organ(self, ident: str) -> bool:
        return ident in self.organs

    def is_collegial(self, ident: str) -> bool:
        o = self.organs.get(ident)
        return o is not None and o.collegial

    def organ_name(self, ident: str, lang: str = "nl") -> str | None:
        o = self.organs.get(ident)
        return o.name(lang) if o is not None else None

    def kinds_of(self, kind: str) -> frozenset[str]:
        return self.book.kinds_of(kind)

    def entities_of(self, organ: str) -> tuple[str, ...]:
        return self.book.entities_of(organ)

    def implied_entity(self, issuer: str | None) -> str | None:
        """The legal entity a document of this issuer belongs to, when the issuer says so alone."""
        entities = self.entities_of(issuer) if issuer is not None else ()
        return entities[0] if len(entities) == 1 else None

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

    # -- the law step ------------------------------------------------------------------------
    def law_sources(self, principal: str, power: str, entity: str) -> list[LawSource]:
        """Holdings by law of `principal` (an organ) for `power` in `entity`, with the local
        regulations that describe them standing in for the packaged rule."""
        key = (principal, power, entity)
        found = self._sources.get(key)
        if found is not None:
            return found
        found = []
        describing = [r for r in self.local.values() if not r.overrides and r.holder == principal
                      and entity in r.effective_entities() and self.rule_governs(r, power)]
        for rule in self.packaged.values():
            if rule.id in self.overridden and rule.holdings or entity not in rule.effective_entities():
                continue
            for h in rule.holdings:
                if h.holder != principal or not any(power_covers(p, power) for p in h.powers):
                    continue
                issuers = self._issuers_in(h.issuers, entity)
                if h.issuers and not issuers:
                    continue  # documents of organs of another entity
                if describing:
                    for local in describing:
                        narrowed = tuple(i for i in issuers if not local.issuers or i in local.issuers) \
                            if issuers else tuple(local.issuers)
                        found.append(LawSource(local, m.Holding(principal, local.powers, narrowed), rule))
                else:
                    found.append(LawSource(rule, m.Holding(principal, h.powers, issuers), rule))
        for local in self.local.values():  # a regulation that replaces an overridable holding
            if local.overrides and local.holder == principal and entity in local.effective_entities() \
                    and self.rule_governs(local, power):
                basis = next((self.packaged[t] for t in local.overrides if t in self.overridden), None)
                if basis is not None and basis.holdings:
                    found.append(LawSource(local, m.Holding(principal, local.powers, local.issuers), basis))
        found = list({(s.rule.id, s.holding): s for s in found}.values())
        self._sources[key] = found
        return found

    def _issuers_in(self, issuers: tuple[str, ...], entity: str) -> tuple[str, ...]:
        return tuple(i for i in issuers if entity in self.entities_of(i))

    # -- delegation ---------------------------------------------------------------------------
    def permitting(self, power: str) -> list[m.Rule]:
        """Packaged rules that let someone delegate this power (the law's delegation rules)."""
        found = self._permits.get(power)
        if found is None:
            found = self._permits[power] = [r for r in self.packaged.values()
                                            if r.delegators and self.rule_governs(r, power)]
        return found

    def lifted(self, rule: m.Rule, power: str, cited: m.Rule | None) -> bool:
        """Is the restriction of an overridable packaged rule lifted, for a delegation that cites
        a local regulation replacing it (only such decisions rest on the administration's reading)?"""
        return cited is not None and cited in self.overridden.get(rule.id, ()) and self.rule_governs(cited, power)

    def binding(self, power: str) -> list[m.Rule]:
        """Packaged rules whose `not_delegable` binds every delegator they name, for this power."""
        found = self._binding.get(power)
        if found is None:
            found = self._binding[power] = [r for r in self.permitting(power) if r.not_delegable]
        return found

    def restricted_docs(self, power: str) -> frozenset[str]:
        """Document types that some rule governing this power keeps with its holder."""
        found = self._restricted.get(power)
        if found is None:
            found = self._restricted[power] = frozenset(
                x for r in self.rules.values() if self.rule_governs(r, power) for x in r.not_delegable
                if x in self.document_types)
        return found

    def rule_entities(self, rule: m.Rule) -> frozenset[str]:
        found = self._entities.get(rule.id)
        if found is None:
            found = self._entities[rule.id] = frozenset(rule.effective_entities())
        return found

    # -- conditions ----------------------------------------------------------------------------
    def conditions_for(self, power: str, entity: str) -> list[m.Rule]:
        key = (power, entity)
        found = self._conditions.get(key)
        if found is None:
            found = self._conditions[key] = [
                r for r in self.conditions if entity in self.rule_entities(r)
                and any(power_covers(p, power) for p in r.condition.powers)]  # type: ignore[union-attr]
        return found

    def visum_exempt(self, entity: str, on: date, power: str, amount: Decimal | None,
                     budget_key: str | None) -> m.Rule | None:
        """The council's visum regulation that exempts this act, if any."""
        council = self.entities[entity].council if entity in self.entities else None
        for rule in self.visum_regulations:
            if rule.holder != council or entity not in rule.effective_entities() or not rule.applies_on(on):
                continue
            for x in rule.visum_exempt:
                if x.max_amount is not None and (amount is None or amount > x.max_amount):
                    continue
                if x.budget_keys and (budget_key is None or not any(key_matches(k, budget_key) for k in x.budget_keys)):
                    continue
                if x.powers and not any(power_covers(p, power) for p in x.powers):
                    continue
                return rule
        return None
