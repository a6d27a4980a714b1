"""A jurisdiction as data: the only reader of the packaged rulebooks (`rulebooks/<id>.json`).

A rulebook names the legal entities, the organs (entity, collegial or individual, members, chair,
an office held ex officio), the position kinds as an is-a hierarchy, the powers, document types
and the rules (holdings by law, who may delegate what to which kinds, what may not be delegated,
notify duties, replacements by law, acting appointments, conditions such as a visum). Nothing in
the evaluation knows an organ by name; it asks this module.
"""

from __future__ import annotations

import json
import os
from functools import cache, cached_property

from attrs import frozen

from . import model as m
from .texts import Given, Text

FORMAT = "delegaties-rulebook/2"
PACKAGED = ("vl-dlb", "nl-awb")


@frozen
class Entity:
    id: str
    name: Text
    council: str  # the organ informed of delegations that concern this entity


@frozen
class Kind:
    id: str
    name: Text
    is_a: tuple[str, ...] = ()
    abstract: bool = False  # a grouping (e.g. decretale graad), not a kind a position can have


@frozen
class Organ:
    id: str
    name: Text
    entities: tuple[str, ...]
    collegial: bool = False
    members: tuple[str, ...] = ()  # kinds whose holders sit in a collegial organ
    chair: str | None = None
    ex_officio: str | None = None  # held by whoever holds this other (individual) organ
    delegates_to_members: bool = False  # may a collegial organ hand powers to one of its members?
    is_a: tuple[str, ...] = ()  # an individual organ is also a position kind
    mention: str | None = None  # how a signature mention names it ("het college van ...")
    note: str | None = None
    source: str | None = None


class RulebookError(ValueError):
    """A packaged rulebook that contradicts itself: a packaging bug, never user input."""


class Jurisdiction:
    def __init__(self, data: dict):
        from .converter import structure

        if data.get("format") != FORMAT:
            raise RulebookError(f"rulebook {data.get('id')}: expected format {FORMAT}")
        self.id: str = data["id"]
        self.version: str = data["version"]
        self.law: str = data["law"]
        self.source: str = data["source"]
        self.default_entity: str = data["default_entity"]
        self.default_kind: str = data["default_kind"]
        self.entities: dict[str, Entity] = {
            e["id"]: Entity(e["id"], _text(e["name"]), e["council"]) for e in data["entities"]}
        self.organs: dict[str, Organ] = {o["id"]: _organ(o) for o in data["organs"]}
        kinds = {k["id"]: Kind(k["id"], _text(k["name"]), tuple(k.get("is_a", ())), k.get("abstract", False))
                 for k in data["kinds"]}
        for o in self.organs.values():
            if not o.collegial:  # a position of an individual organ's kind holds that organ
                kinds[o.id] = Kind(o.id, o.name, o.is_a)
        self.kinds: dict[str, Kind] = kinds
        self.powers: dict[str, m.Power] = {p["id"]: m.Power(p["id"], p["name"]) for p in data["powers"]}
        self.document_types: frozenset[str] = frozenset(data["document_types"])
        self.signature_families: frozenset[str] = frozenset(data["signature_families"])
        self.rules: dict[str, m.Rule] = {r["id"]: structure(r, m.Rule) for r in data["rules"]}
        self._check()

    # -- derived ---------------------------------------------------------------------------
    @cached_property
    def position_kinds(self) -> tuple[str, ...]:
        return tuple(k for k, v in self.kinds.items() if not v.abstract)

    @cached_property
    def _closure(self) -> dict[str, frozenset[str]]:
        out: dict[str, frozenset[str]] = {}

        def up(kind: str, seen: tuple[str, ...]) -> frozenset[str]:
            if kind in out:
                return out[kind]
            if kind in seen:
                raise RulebookError(f"rulebook {self.id}: kind {kind} is a kind of itself")
            found = {kind}
            for parent in self.kinds[kind].is_a:
                found |= up(parent, (*seen, kind))
            out[kind] = frozenset(found)
            return out[kind]

        for k in self.kinds:
            up(k, ())
        return out

    def kinds_of(self, kind: str) -> frozenset[str]:
        """The kind and every kind it is a kind of (a schepen is a raadslid)."""
        found = self._closure.get(kind)
        return found if found is not None else frozenset((kind,))

    def offices_of(self, kind: str) -> tuple[str, ...]:
        """The individual organs a position of this kind holds: its own and those held ex officio."""
        if kind not in self.organs or self.organs[kind].collegial:
            return ()
        return (kind, *(o.id for o in self.organs.values() if o.ex_officio == kind))

    def entities_of(self, organ: str) -> tuple[str, ...]:
        o = self.organs.get(organ)
        return o.entities if o is not None else ()

    def members_of(self, organ: str) -> frozenset[str]:
        o = self.organs.get(organ)
        return frozenset(o.members) if o is not None and o.collegial else frozenset()

    def name(self, ident: str, lang: str = "nl") -> str | None:
        found = self.organs.get(ident) or self.kinds.get(ident) or self.entities.get(ident)
        return found.name(lang) if found is not None else None

    def mention(self, organ: str) -> str:
        o = self.organs.get(organ)
        if o is None:
            return organ
        return o.mention or o.name.nl

    # -- integrity -------------------------------------------------------------------------
    def _check(self) -> None:
        problems = []
        if self.default_entity != m.DEFAULT_ENTITY or self.default_entity not in self.entities:
            problems.append(f"default_entity must be {m.DEFAULT_ENTITY} and an entity")
        if self.default_kind != m.DEFAULT_KIND or self.default_kind not in self.kinds:
            problems.append(f"default_kind must be {m.DEFAULT_KIND} and a kind")
        names = set(self.organs) | set(self.kinds)
        for e in self.entities.values():
            if e.council not in self.organs:
                problems.append(f"entity {e.id}: council {e.council} is no organ")
        for k in self.kinds.values():
            problems += [f"kind {k.id}: is_a {p} unknown" for p in k.is_a if p not in self.kinds]
        for o in self.organs.values():
            problems += [f"organ {o.id}: entity {e} unknown" for e in o.entities if e not in self.entities]
            problems += [f"organ {o.id}: member kind {k} unknown" for k in o.members if k not in self.kinds]
            if o.ex_officio is not None and o.ex_officio not in self.organs:
                problems.append(f"organ {o.id}: ex_officio {o.ex_officio} unknown")
        for r in self.rules.values():
            if not r.article or not r.source:
                problems.append(f"rule {r.id}: every packaged rule cites its article and a source")
            for h in r.holdings:
                if h.holder not in self.organs:
                    problems.append(f"rule {r.id}: holder {h.holder} is no organ")
                problems += [f"rule {r.id}: issuer {i} unknown" for i in h.issuers if i not in self.organs]
                problems += [f"rule {r.id}: power {p} unknown" for p in h.powers if p not in self.powers]
            for x in (*r.delegators, *r.delegable_to, *r.subdelegable_to):
                if x not in names:
                    problems.append(f"rule {r.id}: {x} is neither organ nor kind")
            for x in (*r.powers, *r.not_delegable):
                if x not in self.powers and x not in self.document_types:
                    problems.append(f"rule {r.id}: {x} is neither power nor document type")
            problems += [f"rule {r.id}: entity {e} unknown" for e in r.entities if e not in self.entities]
            if r.subdelegation_rule is not None and r.subdelegation_rule not in self.rules:
                problems.append(f"rule {r.id}: subdelegation_rule {r.subdelegation_rule} unknown")
            for spec in (r.substitution, r.acting):
                if spec is not None:
                    kinds = (*getattr(spec, "for_", ()), *getattr(spec, "by", ()), *getattr(spec, "positions", ()),
                             *getattr(spec, "requires", ()))
                    problems += [f"rule {r.id}: kind {k} unknown" for k in kinds if k not in self.kinds]
        if problems:
            raise RulebookError(f"rulebook {self.id}: " + "; ".join(problems))


def _text(value) -> Text:
    if isinstance(value, str):
        return Given(value, value)
    return Given(value["nl"], value.get("en", value["nl"]))


def _organ(o: dict) -> Organ:
    return Organ(
        id=o["id"], name=_text(o["name"]), entities=tuple(o["entities"]), collegial=o.get("collegial", False),
        members=tuple(o.get("members", ())), chair=o.get("chair"), ex_officio=o.get("ex_officio"),
        delegates_to_members=o.get("delegates_to_members", False), is_a=tuple(o.get("is_a", ())),
        mention=o.get("mention"), note=o.get("note"), source=o.get("source"))


def raw(jurisdiction: str) -> dict:
    if jurisdiction not in PACKAGED:
        raise KeyError(jurisdiction)
    # Read beside this module (as the catalogs are); importlib.resources costs a one-shot command
    # more than the file itself, so it is only asked when the package is not a directory (a zip).
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rulebooks", f"{jurisdiction}.json")
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:  # pragma: no cover - a zipped package
        from importlib import resources

        text = resources.files(__package__).joinpath("rulebooks", f"{jurisdiction}.json").read_text(encoding="utf-8")
    return json.loads(text)


@cache
def load(jurisdiction: str = m.DEFAULT_JURISDICTION) -> Jurisdiction:
    """The packaged rulebook of a jurisdiction (KeyError for an unknown id)."""
    return Jurisdiction(raw(jurisdiction))
