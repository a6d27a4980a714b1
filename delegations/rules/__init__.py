"""Every rule of the check, written once: time, legality of each delegation, scope, replacement
and conditions. The compiled fast path and the explaining evaluation call the same functions
(`compiled.py` only decides which ones a chain needs and stops at the first reason), and the
validator asks the same legality rule of each grant.

A rule appends findings to an `Evaluation`; a chain holds when no rule adds a reason.
"""

from .base import ALWAYS, Asked, Evaluation, Usage, Window, asked, no_usage, resolve_entity
from .conditions import (
    cosignature,
    duty_entries,
    grant_visum,
    law_conditions,
    reporting,
    scope_limits,
    signature_mention,
    visum_by,
)
from .legality import (
    Failure,
    Legality,
    Verdict,
    chain_legality,
    entity_covered,
    failure_finding,
    involves_persons,
    legality,
    step_verdict,
    subdelegation,
)
from .replacement import (
    acting,
    acting_rule,
    exclusive_rule,
    only_when_absent,
    replacement_order,
    substitution,
    unavailable,
)
from .scoping import (
    ScopeGroups,
    amount_scope,
    binding_amount,
    ceilings,
    conflicts,
    document_scope,
    excluded_scope,
    issuer_scope,
    key_scope,
    scope_groups,
    unit_scope,
)
from .time import (
    appointment_time,
    appointment_window,
    grant_time,
    grant_window,
    law_time,
    meet,
    revocation,
    rule_window,
)

__all__ = [
    "ALWAYS", "Asked", "Evaluation", "Failure", "Legality", "ScopeGroups", "Usage", "Verdict", "Window", "acting",
    "acting_rule", "amount_scope", "appointment_time", "appointment_window", "asked", "binding_amount", "ceilings",
    "chain_legality", "conflicts", "cosignature", "document_scope", "duty_entries", "entity_covered", "excluded_scope",
    "exclusive_rule", "failure_finding", "grant_time", "grant_visum", "grant_window", "involves_persons", "issuer_scope",
    "key_scope", "law_conditions", "law_time", "legality", "meet", "no_usage", "only_when_absent", "replacement_order",
    "reporting", "resolve_entity", "revocation", "rule_window", "scope_groups", "scope_limits", "signature_mention",
    "step_verdict", "subdelegation", "substitution", "unavailable", "unit_scope", "visum_by",
]
