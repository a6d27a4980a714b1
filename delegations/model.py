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

ENTITIES = ("gemeente", "ocmw")
CAPACITIES = ("titular", "acting")
PERIODS = ("act", "month", "quarter", "half_year", "year")

# Organ ids are reserved: they are principals in their own right (domain primer, section 1).
COLLEGIAL_ORGANS = ("gemeenteraad", "ocmw_raad", "college", "vast_bureau", "bcsd")
INDIVIDUAL_ORGANS = (
    "burgemeester",
    "voorzitter_gemeenteraad",
    "voorzitter_ocmw_raad",
    "voorzitter_vast_bureau",
    "algemeen_directeur",
    "adjunct_algemeen_directeur",
    "financieel_directeur",
)
ORGANS = COLLEGIAL_ORGANS + INDIVIDUAL_ORGANS
# Position kinds that are not organs.
OTHER_KINDS = ("schepen", "raadslid", "personeelslid")
POSITION_KINDS = INDIVIDUAL_ORGANS + OTHER_KINDS

# Who sits in which collegial organ: a collegial organ never delegates to one of its members.
MEMBERS = {
    "gemeenteraad": ("raadslid", "schepen", "burgemeester", "voorzitter_gemeenteraad"),
    "ocmw_raad": ("raadslid", "schepen", "burgemeester", "voorzitter_gemeenteraad", "voorzitter_ocmw_raad"),
    "college": ("schepen", "burgemeester"),
    "vast_bureau": ("schepen", "burgemeester", "voorzitter_vast_bureau"),
    "bcsd": ("raadslid",),
}


@frozen
class Administration:
    id: str
    name: str


@frozen
class Unit:
    id: str
    name: str
    parent: str | None = None


@frozen
class Position:
    id: str
    name: str
    kind: str = "personeelslid"
    unit: str | None = None
    manager: bool = False
    substitutes: tuple[str, ...] = ()


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


@frozen
class Rule:
    """A legal basis (rechtsgrond): what it gives by law and how that may be delegated."""

    id: str
    title: str
    holder: str | None = None
    entity: str = "gemeente"
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

    def effective_holdings(self) -> tuple[Holding, ...]:
        # A local rule (contract section 2) names one holder of its powers.
        if self.holdings:
            return self.holdings
        return (Holding(self.holder, self.powers),) if self.holder else ()

    def effective_delegators(self) -> tuple[str, ...]:
        if self.delegators:
            return self.delegators
        return (self.holder,) if self.holder else ()

    def effective_entities(self) -> tuple[str, ...]:
        return self.entities or (self.entity,)


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
    entity: str = "gemeente"
    effective_until: date | None = None
    source: str | None = None
    review_every_years: int | None = None
    grants: tuple[Grant, ...] = ()


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
