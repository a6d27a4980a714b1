"""Human-readable output of answers and findings (Dutch by default, English with --lang en)."""

from __future__ import annotations

from typing import Any

from delegations.texts import nl_amount

CAPACITY = {"titular": ("titularis", "titular"), "acting": ("waarnemend", "acting")}
EVERY = {"act": ("per handeling", "per act"), "month": ("maandelijks", "monthly"), "quarter": ("per kwartaal", "quarterly"),
         "half_year": ("per halfjaar", "half-yearly"), "year": ("jaarlijks", "yearly")}


def _l(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def amount(value: str, lang: str) -> str:
    return f"{value} EUR" if lang == "en" else f"{nl_amount(value)} EUR"


def step_line(step: dict[str, Any], lang: str) -> str:
    kind = step["step"]
    if kind == "law":
        return (f"law: {step['rule']}, holder {step['holder']}" if lang == "en"
                else f"wet: {step['rule']}, houder {step['holder']}")
    if kind == "grant":
        return (f"grant {step['grant']} (decision {step['decision']}) to {step['to']}" if lang == "en"
                else f"delegatie {step['grant']} (besluit {step['decision']}) aan {step['to']}")
    cap = _l(CAPACITY.get(step.get("capacity", "titular"), ("", "")), lang)
    if kind == "substitution":
        return (f"substitution: {step['person']} as {step['position']} ({cap}) stands in for {step['for']}" if lang == "en"
                else f"vervanging: {step['person']} als {step['position']} ({cap}) vervangt {step['for']}")
    return (f"appointment: {step['person']} as {step['position']} ({cap})" if lang == "en"
            else f"aanstelling: {step['person']} als {step['position']} ({cap})")


def chain_summary(chain: list[dict[str, Any]]) -> str:
    parts = []
    for s in chain:
        parts.append(s.get("rule") or s.get("grant") or s.get("person"))
    return " -> ".join(str(p) for p in parts)


def limits_lines(limits: dict[str, Any], lang: str) -> list[str]:
    out = []
    if "max_amount" in limits:
        out.append(("max. per act: " if lang == "en" else "max. per handeling: ") + amount(limits["max_amount"], lang))
    if "annual_ceiling" in limits:
        out.append(("annual ceiling: " if lang == "en" else "jaarplafond: ") + amount(limits["annual_ceiling"], lang))
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
        lines.append(f"ALLOWED: {who} may exercise {q['power']} on {q['on']}{extra}" if lang == "en"
                      else f"TOEGESTAAN: {who} mag {q['power']} uitoefenen op {q['on']}{extra}")
        lines.append("Chain:" if lang == "en" else "Keten:")
        for i, s in enumerate(a["chains"][0], 1):
            lines.append(f"  {i}. {step_line(s, lang)}")
        if len(a["chains"]) > 1:
            lines.append(f"  (+{len(a['chains']) - 1} other valid chain(s); see --json)" if lang == "en"
                          else f"  (+{len(a['chains']) - 1} andere geldige keten(s); zie --json)")
        lim = limits_lines(a["effective_limits"], lang)
        if lim:
            lines.append(("Limits: " if lang == "en" else "Grenzen: ") + "; ".join(lim))
        for c in a["conditions"]:
            lines.append(("Condition " if lang == "en" else "Voorwaarde ") + f"{c['code']}: {c['text']}")
        if a.get("signature_mention"):
            lines.append(("Signature mention: " if lang == "en" else "Vermelding bij handtekening: ") + a["signature_mention"])
        if a["reporting"]:
            reps = [f"{r['to']} {_l(EVERY.get(r['every'], (r['every'], r['every'])), lang)}" for r in a["reporting"]]
            lines.append(("Reporting: " if lang == "en" else "Rapportering: ") + "; ".join(reps))
    else:
        lines.append(f"REFUSED: {who} may not exercise {q['power']} on {q['on']}{extra}" if lang == "en"
                      else f"GEWEIGERD: {who} mag {q['power']} niet uitoefenen op {q['on']}{extra}")
        lines.append("Reasons:" if lang == "en" else "Redenen:")
        candidates = a.get("candidates", [])
        # The same reason on several chains (e.g. one grant below two legal bases) is said once.
        grouped: dict[tuple[str, str], list[int]] = {}
        for r in a["reasons"]:
            grouped.setdefault((r["code"], r["text"]), [])
            if r.get("chain") is not None and r["chain"] < len(candidates):
                grouped[(r["code"], r["text"])].append(r["chain"])
        label = "chain" if lang == "en" else "keten"
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
