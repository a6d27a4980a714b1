"""The domain model: what a register file says, as frozen attrs classes.

Names follow the glossary of the domain primer. Field names equal the register file keys,
except where the key is a Python keyword (`from` -> `from_`); the converter in `fileformat`
maps them. Empty lists in limits mean "no restriction at this step".
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from attrs import field, frozen

FORMAT = "delegaties/1"

CAPACITIES = ("titular", "acting")
PERIODS = ("act", "month", "quarter", "half_year", "year")
# Defaults of the register format. Every packaged rulebook names these as its default entity and
# its staff kind (the rulebook loader checks it), so a file written without them means the same
# thing in every jurisdiction and the stored content of older registers stays the same.
DEFAULT_ENTITY = "gemeente"
DEFAULT_KIND = "personeelslid"
DEFAULT_JURISDICTION = "vl-dlb"


def __getattr__(name: str):
    # Organ and kind lists used to be constants here; they are the default jurisdiction's data now.
    # Kept for code that still imports them (registry reports).
    from .rulebook import load

    book = load(DEFAULT_JURISDICTION)
    legacy = {
        "ENTITIES": lambda: tuple(book.entities),
        "COLLEGIAL_ORGANS": lambda: tuple(o for o in book.organs.values() if o.collegial),
        "INDIVIDUAL_ORGANS": lambda: tuple(o.id for o in book.organs.values() if not o.collegial),
        "ORGANS": lambda: tuple(book.organs),
        "POSITION_KINDS": lambda: tuple(book.position_kinds),
        "MEMBERS": lambda: {o.id: o.members for o in book.organs.values() if o.collegial},
    }
    if name in legacy:
        value = legacy[name]()
        if name == "COLLEGIAL_ORGANS":
            value = tuple(o.id for o in value)
        return value
    raise AttributeError(name)


@frozen
class Administration:
    id: str
    name: str
    # The packaged rulebook of the register (None: vl-dlb). A later file may leave it out: it then
    # inherits the register's.
    jurisdiction: str | None = None


@frozen
class Unit:
    id: str
    name: str
    parent: str | None = None
    entity: str | None = None  # the legal entity the unit (and everything below it) belongs to; None: shared


@frozen
class Position:
    id: str
    name: str
    kind: str = DEFAULT_KIND
    unit: str | None = None
    manager: bool = False
    substitutes: tuple[str, ...] = ()
    rank: int | None = None  # order among the schepenen (1 = first in rank), for a replacement by law


@frozen
class Person:
    id: str
    name: str


@frozen
class Appointment:
    person: str
    position: str
    from_: date
    until: date | None = None
    capacity: str = "titular"

    @property
    def key(self) -> str:
        return f"{self.person}@{self.position}@{self.from_.isoformat()}"


@frozen
class Absence:
    person: str
    from_: date
    until: date

    @property
    def key(self) -> str:
        return f"{self.person}@{self.from_.isoformat()}"


@frozen
class Power:
    id: str
    name: str


@frozen
class Holding:
    """An original holding by law: `holder` holds `powers` (optionally only for some issuers)."""

    holder: str
    powers: tuple[str, ...]
    issuers: tuple[str, ...] = ()


Entities = str | tuple[str, ...]  # one legal entity, or several for one act that covers them all


def as_entities(value: Entities) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


@frozen
class Substitution:
    """A replacement by law: holders of a `by` kind stand in for positions of a `for` kind."""

    for_: tuple[str, ...]
    by: tuple[str, ...]
    when: tuple[str, ...] = ("absent", "prevented")  # absent, prevented (conflict in the matter), vacant
    designated: bool = False  # the position's `substitutes` name who is designated, in that order
    ranked: bool = False  # otherwise the first in rank (position `rank`) who is present


@frozen
class Acting:
    """An acting appointment (waarneming) to positions of these kinds, and when it holds."""

    positions: tuple[str, ...]
    when: tuple[str, ...] = ()  # empty: whenever it is registered
    requires: tuple[str, ...] = ()  # kinds the acting person must hold on the date
    exclusive: bool = False  # master-data `substitutes` never replace these positions


@frozen
class Condition:
    """A condition of law on exercising powers (e.g. the visum of the financieel directeur)."""

    code: str
    powers: tuple[str, ...]
    by: str | None = None


@frozen
class VisumExemption:
    """One exemption of a council's visum regulation: every field given must match."""

    max_amount: Decimal | None = None
    budget_keys: tuple[str, ...] = ()
    powers: tuple[str, ...] = ()


@frozen
class Rule:
    """A legal basis (rechtsgrond): what it gives by law and how that may be delegated.

    Packaged rules come from a jurisdiction's rulebook; local rules (register section `rules`)
    name one holder and only ever narrow what the law allows, unless they `override` a packaged
    rule that its rulebook marks `overridable` (a reading of an unclear source)."""

    id: str
    title: str
    holder: str | None = None
    entity: Entities = DEFAULT_ENTITY
    powers: tuple[str, ...] = ()
    delegable_to: tuple[str, ...] = ()
    subdelegable_to: tuple[str, ...] = ()
    not_delegable: tuple[str, ...] = ()
    notify: str | None = None
    source: str | None = None
    # Packaged rules only (local rules derive them from holder/powers):
    article: str | None = None
    entities: tuple[str, ...] = ()
    holdings: tuple[Holding, ...] = ()
    delegators: tuple[str, ...] = ()
    signature_mention_required: bool = False
    # Added in rulebook format 2; omitted from stored content while they keep their default.
    issuers: tuple[str, ...] = ()  # local: the holding covers documents of these organs only
    overrides: tuple[str, ...] = ()  # local: packaged overridable rules this regulation replaces
    effective_from: date | None = None  # local: period in which the regulation applies
    effective_until: date | None = None
    visum_exempt: tuple[VisumExemption, ...] = ()  # local: a council's visum regulation
    overridable: bool = False
    note: str | None = None
    notify_councils: bool = False  # inform the council of every entity the decision covers
    signature_mention: str | None = None  # template: {delegator}, {decision}, {decided_on}, {holder}
    subdelegation_rule: str | None = None  # the rule cited for subdelegation steps under this one
    substitution: Substitution | None = None
    acting: Acting | None = None
    condition: Condition | None = None

    @property
    def packaged(self) -> bool:
        return bool(self.article)

    def effective_holdings(self) -> tuple[Holding, ...]:
        # A local rule (contract section 2) names one holder of its powers.
        if self.holdings:
            return self.holdings
        return (Holding(self.holder, self.powers, self.issuers),) if self.holder else ()

    def effective_delegators(self) -> tuple[str, ...]:
        if self.delegators:
            return self.delegators
        return (self.holder,) if self.holder else ()

    def effective_entities(self) -> tuple[str, ...]:
        return self.entities or as_entities(self.entity)

    def applies_on(self, on: date) -> bool:
        return (self.effective_from is None or self.effective_from <= on) and (
            self.effective_until is None or on <= self.effective_until)


@frozen
class Limits:
    max_amount: Decimal | None = None
    annual_ceiling: Decimal | None = None
    budget_keys: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    document_types: tuple[str, ...] = ()
    issuers: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    only_when_absent: str | None = None


@frozen
class Requirements:
    cosignature_by: str | None = None
    visum_above: Decimal | None = None


@frozen
class SubdelegationPolicy:
    allowed: bool = False
    max_depth: int = 1

    @property
    def levels(self) -> int:
        """How many further levels may hang below the grant."""
        return self.max_depth if self.allowed else 0


@frozen
class ReportingDuty:
    to: str
    every: str
    within_days: int = 30
    content: str | None = None


@frozen
class Grant:
    id: str
    to: str
    powers: tuple[str, ...]
    under: str | None = None
    limits: Limits = Limits()
    requires: Requirements = Requirements()
    subdelegation: SubdelegationPolicy = SubdelegationPolicy()
    reporting: tuple[ReportingDuty, ...] = ()
    signature_mention: str | None = None


@frozen
class Decision:
    id: str
    title: str
    by: str
    decided_on: date
    effective_from: date
    legal_basis: str
    entity: Entities = DEFAULT_ENTITY
    effective_until: date | None = None
    source: str | None = None
    review_every_years: int | None = None
    grants: tuple[Grant, ...] = ()

    @property
    def entities(self) -> tuple[str, ...]:
        return as_entities(self.entity)


@frozen
class Revocation:
    target: str
    effective_from: date
    by: str
    reason: str | None = None


@frozen
class Conflict:
    person: str
    matter: str
    from_: date
    until: date | None = None
    reason: str | None = None

    @property
    def key(self) -> str:
        return f"{self.person}@{self.matter}@{self.from_.isoformat()}"


@frozen
class RegisterFile:
    format: str
    administration: Administration
    units: tuple[Unit, ...] = ()
    positions: tuple[Position, ...] = ()
    persons: tuple[Person, ...] = ()
    appointments: tuple[Appointment, ...] = ()
    absences: tuple[Absence, ...] = ()
    rules: tuple[Rule, ...] = ()
    powers: tuple[Power, ...] = ()
    decisions: tuple[Decision, ...] = ()
    revocations: tuple[Revocation, ...] = ()
    conflicts: tuple[Conflict, ...] = field(default=())


def covers(period_from: date, period_until: date | None, on: date) -> bool:
    """Inclusive period test; `until` None means open-ended."""
    return period_from <= on and (period_until is None or on <= period_until)
