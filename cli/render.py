"""Human-readable output of answers and findings (Dutch by default, English with --lang en)."""

from __future__ import annotations

from typing import Any

from delegations.texts import nl_amount, tr

CAPACITY = {"titular": ("titularis", "titular"), "acting": ("waarnemend", "acting")}
EVERY = {"act": ("per handeling", "per act"), "month": ("maandelijks", "monthly"), "quarter": ("per kwartaal", "quarterly"),
         "half_year": ("per halfjaar", "half-yearly"), "year": ("jaarlijks", "yearly")}


def _l(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def amount(value: str, lang: str) -> str:
    return tr("{value} EUR", value=value, nl_amount=nl_amount(value))(lang)


def step_line(step: dict[str, Any], lang: str) -> str:
    kind = step["step"]
    if kind == "law":
        return (tr("law: {rule}, holder {holder}", rule=step['rule'], holder=step['holder'])(lang))
    if kind == "grant":
        return (tr("grant {grant} (decision {decision}) to {to}", grant=step['grant'], decision=step['decision'], to=step['to'])(lang))
    cap = _l(CAPACITY.get(step.get("capacity", "titular"), ("", "")), lang)
    if kind == "substitution":
        return (tr("substitution: {person} as {position} ({cap}) stands in for {value}", person=step['person'], position=step['position'], cap=cap, value=step['for'])(lang))
    return (tr("appointment: {person} as {position} ({cap})", person=step['person'], position=step['position'], cap=cap)(lang))


def chain_summary(chain: list[dict[str, Any]]) -> str:
    parts = []
    for s in chain:
        parts.append(s.get("rule") or s.get("grant") or s.get("person"))
    return " -> ".join(str(p) for p in parts)


def limits_lines(limits: dict[str, Any], lang: str) -> list[str]:
    out = []
    if "max_amount" in limits:
        out.append((tr("max. per act: ")(lang)) + amount(limits["max_amount"], lang))
    if "annual_ceiling" in limits:
        out.append((tr("annual ceiling: ")(lang)) + amount(limits["annual_ceiling"], lang))
    names = {"budget_keys": ("budgetsleutels", "budget keys"), "units": ("eenheden", "units"),
             "document_types": ("documenttypes", "document types"), "issuers": ("uitgevers", "issuers"),
             "excluded": ("uitgesloten", "excluded")}
    for key, pair in names.items():
        if key in limits:
            out.append(f"{_l(pair, lang)}: {', '.join(limits[key]) or '-'}")
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
            reps = [f"{r['to']} {_l(EVERY.get(r['every'], (r['every'], r['every'])), lang)}" for r in a["reporting"]]
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
