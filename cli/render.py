"""Human-readable output of answers and findings (Dutch by default, English with --lang en)."""

from __future__ import annotations

from typing import Any

from delegations.texts import N_, Amount, gettext, tr

CAPACITY = {"titular": N_("titular"), "acting": N_("acting")}
EVERY = {"act": N_("per act"), "month": N_("monthly"), "quarter": N_("quarterly"), "half_year": N_("half-yearly"),
         "year": N_("yearly")}
LIMIT_NAMES = {"budget_keys": N_("budget keys"), "units": N_("units"), "document_types": N_("document types"),
               "issuers": N_("issuers"), "excluded": N_("excluded")}


def label(table: dict[str, str], key: str, lang: str, default: str = "") -> str:
    """The label of `key` in a table of `N_` ids, in `lang`; `default` for a key it does not know."""
    return gettext(table[key], lang) if key in table else default


def every(key: str, lang: str) -> str:
    """How often a report is due ('monthly'); an unknown period as it is."""
    return label(EVERY, key, lang, key)


def amount(value: str, lang: str) -> str:
    """'8.500,00 EUR' in Dutch, '8500.00 EUR' in English."""
    return tr("{amount} EUR", amount=Amount(value))(lang)


def step_line(step: dict[str, Any], lang: str) -> str:
    kind = step["step"]
    if kind == "law":
        return (tr("law: {rule}, holder {holder}", rule=step['rule'], holder=step['holder'])(lang))
    if kind == "grant":
        return (tr("grant {grant} (decision {decision}) to {to}", grant=step['grant'], decision=step['decision'], to=step['to'])(lang))
    cap = label(CAPACITY, step.get("capacity", "titular"), lang)
    if kind == "substitution":
        return (tr("substitution: {person} as {position} ({cap}) stands in for {value}", person=step['person'], position=step['position'], cap=cap, value=step['for'])(lang))
    return (tr("appointment: {person} as {position} ({cap})", person=step['person'], position=step['position'], cap=cap)(lang))


def chain_summary(chain: list[dict[str, Any]]) -> str:
    parts = []
    for s in chain:  # a grant step names its rule too: the grant is what tells chains apart
        parts.append(s.get("grant") or s.get("rule") or s.get("person"))
    return " -> ".join(str(p) for p in parts)


def limits_lines(limits: dict[str, Any], lang: str) -> list[str]:
    out = []
    if "max_amount" in limits:
        out.append((tr("max. per act: ")(lang)) + amount(limits["max_amount"], lang))
    if "annual_ceiling" in limits:
        out.append((tr("annual ceiling: ")(lang)) + amount(limits["annual_ceiling"], lang))
    for key, msgid in LIMIT_NAMES.items():
        if key in limits:
            out.append(f"{gettext(msgid, lang)}: {', '.join(limits[key]) or '-'}")
    return out


def answer_text(a: dict[str, Any], lang: str, names: dict[str, str] | None = None) -> str:
    q = a["question"]
    names = names or {}
    who = q["actor"] + (f" ({names[q['actor']]})" if q["actor"] in names else "")
    scope = []
    if q.get("amount"):
        scope.append(amount(q["amount"], lang))
    for k in ("budget_key", "unit", "document_type", "issuer", "matter"):
        if q.get(k):
            scope.append(f"{k}={q[k]}")
    extra = f" [{', '.join(scope)}]" if scope else ""
    lines = []
    if a["allowed"]:
        lines.append(tr("ALLOWED: {who} may exercise {power} on {on}{extra}", who=who, power=q['power'], on=q['on'], extra=extra)(lang))
        lines.append(tr("Chain:")(lang))
        for i, s in enumerate(a["chains"][0], 1):
            lines.append(f"  {i}. {step_line(s, lang)}")
        if len(a["chains"]) > 1:
            lines.append(tr("  (+{value} other valid chain(s); see --json)", value=len(a['chains']) - 1)(lang))
        lim = limits_lines(a["effective_limits"], lang)
        if lim:
            lines.append((tr("Limits: ")(lang)) + "; ".join(lim))
        for c in a["conditions"]:
            lines.append((tr("Condition ")(lang)) + f"{c['code']}: {c['text']}")
        if a.get("signature_mention"):
            lines.append((tr("Signature mention: ")(lang)) + a["signature_mention"])
        if a["reporting"]:
            reps = [f"{r['to']} {every(r['every'], lang)}" for r in a["reporting"]]
            lines.append((tr("Reporting: ")(lang)) + "; ".join(reps))
    else:
        lines.append(tr("REFUSED: {who} may not exercise {power} on {on}{extra}", who=who, power=q['power'], on=q['on'], extra=extra)(lang))
        lines.append(tr("Reasons:")(lang))
        candidates = a.get("candidates", [])
        # The same reason on several chains (e.g. one grant below two legal bases) is said once.
        grouped: dict[tuple[str, str], list[int]] = {}
        for r in a["reasons"]:
            grouped.setdefault((r["code"], r["text"]), [])
            if r.get("chain") is not None and r["chain"] < len(candidates):
                grouped[(r["code"], r["text"])].append(r["chain"])
        label = tr("chain")(lang)
        for (code, text), chains in grouped.items():
            where = ""
            if chains:
                first = chains[0]
                more = f" (+{len(chains) - 1})" if len(chains) > 1 else ""
                where = f"{label} {first + 1}{more} ({chain_summary(candidates[first])}): "
            lines.append(f"  - {where}{code}: {text}")
    reg = a.get("register") or {}
    if reg:
        lines.append(f"Register: seq {reg.get('seq')}, {reg.get('head')}")
    return "\n".join(lines)
