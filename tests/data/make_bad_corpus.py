"""Generate tests/data/bad/: hostile register files, each with the finding it must produce.

Run from the repository root:  .venv/bin/python tests/data/make_bad_corpus.py
It rewrites every file in tests/data/bad/ and `expected.json`, the manifest that
tests/test_hostile_input.py reads: for each file the finding code, the path inside the file
(or a prefix of it) and a fragment of the Dutch text that must be reported.

Most files are one mutation of BASE, a small valid register of the fictional Voorbeeldegem
(ids prefixed `t-` so that BASE also loads on top of examples/voorbeeldegem.yaml). The 50 MB
file is not here: the test generates it in a temporary directory.
"""

from __future__ import annotations

import copy
import json
import random
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent / "bad"

RULE = {"id": "T-REGLEMENT", "title": "Reglement budgethouderschap (test)", "holder": "college", "entity": "gemeente",
        "powers": ["budgethouderschap"], "delegable_to": ["algemeen_directeur"], "subdelegable_to": ["personeelslid"],
        "not_delegable": ["budgethouderschap.subsidieaanvraag"], "notify": None,
        "source": "https://example.invalid/voorbeeldegem/t-reglement"}

BASE: dict[str, Any] = {
    "format": "delegaties/1",
    "administration": {"id": "voorbeeldegem", "name": "Lokaal bestuur Voorbeeldegem"},
    "units": [{"id": "t-bestuur", "name": "Bestuur (test)"},
              {"id": "t-aankoop", "name": "Aankoop (test)", "parent": "t-bestuur"}],
    "positions": [
        {"id": "t-ad", "name": "Algemeen directeur (test)", "kind": "algemeen_directeur", "unit": "t-bestuur"},
        {"id": "t-dh", "name": "Diensthoofd aankoop (test)", "unit": "t-aankoop", "manager": True, "substitutes": ["t-adj"]},
        {"id": "t-adj", "name": "Adjunct aankoop (test)", "unit": "t-aankoop"},
        {"id": "t-sch", "name": "Schepen (test)", "kind": "schepen", "unit": "t-bestuur"},
    ],
    "persons": [{"id": "t-p1", "name": "Toon Test"}, {"id": "t-p2", "name": "Tine Test"}, {"id": "t-p3", "name": "Tuur Test"},
                {"id": "t-p4", "name": "Tess Test"}],
    "appointments": [
        {"person": "t-p1", "position": "t-ad", "from": "2020-01-01"},
        {"person": "t-p2", "position": "t-dh", "from": "2020-01-01"},
        {"person": "t-p3", "position": "t-adj", "from": "2020-01-01", "until": "2030-12-31", "capacity": "titular"},
        {"person": "t-p4", "position": "t-sch", "from": "2025-01-01"},
    ],
    "absences": [{"person": "t-p2", "from": "2025-07-01", "until": "2025-07-21"}],
    "rules": [RULE],
    "powers": [{"id": "dagelijks_personeelsbeheer.t-thuiswerk", "name": "Thuiswerkvergoeding (test)"}],
    "decisions": [
        {"id": "T-CBS-2025-01", "title": "Budgethouderschap voor de algemeen directeur (test)", "by": "college",
         "entity": "gemeente", "decided_on": "2025-01-20", "effective_from": "2025-02-01", "effective_until": None,
         "legal_basis": "T-REGLEMENT", "source": "https://example.invalid/voorbeeldegem/T-CBS-2025-01",
         "review_every_years": 6,
         "grants": [{"id": "T-CBS-2025-01/1", "to": "t-ad", "powers": ["budgethouderschap.verbintenis"],
                     "limits": {"max_amount": 25000, "annual_ceiling": 250000, "budget_keys": ["0119/61*"],
                                "units": ["t-bestuur"], "document_types": [], "issuers": [], "excluded": [],
                                "only_when_absent": None},
                     "requires": {"cosignature_by": None, "visum_above": 20000},
                     "subdelegation": {"allowed": True, "max_depth": 1},
                     "reporting": [{"to": "college", "every": "quarter", "within_days": 30, "content": "lijst"}],
                     "signature_mention": None}]},
        {"id": "T-AD-2025-01", "title": "Subdelegatie aan het diensthoofd aankoop (test)", "by": "t-ad",
         "decided_on": "2025-02-03", "effective_from": "2025-02-03", "legal_basis": "T-REGLEMENT",
         "source": "https://example.invalid/voorbeeldegem/T-AD-2025-01",
         "grants": [{"id": "T-AD-2025-01/1", "to": "t-dh", "powers": ["budgethouderschap.verbintenis"],
                     "under": "T-CBS-2025-01/1",
                     "limits": {"max_amount": 8500, "annual_ceiling": 20000, "units": ["t-aankoop"]},
                     "reporting": [{"to": "t-ad", "every": "month", "within_days": 10, "content": "lijst"}]}]},
    ],
    "revocations": [{"target": "T-AD-2025-01/1", "effective_from": "2026-01-01", "by": "T-AD-2025-09", "reason": "test"}],
    "conflicts": [{"person": "t-p2", "matter": "KBO:0999999998", "from": "2025-01-01", "until": None, "reason": "test"}],
}

G0 = "decisions[0].grants[0]"
G1 = "decisions[1].grants[0]"

# name -> (bytes, expectation); expectation: code, path or path_prefix, text, register_only
CORPUS: dict[str, tuple[bytes, dict[str, Any]]] = {}


def dump_yaml(data: Any) -> bytes:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=None, width=120).encode("utf-8")


def dump_json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")


def base_yaml() -> str:
    return dump_yaml(BASE).decode("utf-8")


def add(name: str, content: bytes, code: str, path: str | None = None, text: str = "", *, prefix: str | None = None,
        register_only: bool = False, any_layer: bool = False) -> None:
    assert name not in CORPUS, name
    expect: dict[str, Any] = {"code": code, "text": text}
    if any_layer:
        # A third-party parser (libyaml, the json module) may refuse this before our own scan does,
        # with its own words and location: the test then demands the code and a location, not our text.
        expect["any_layer"] = True
    if prefix is not None:
        expect["path_prefix"] = prefix
    else:
        expect["path"] = path if path is not None else ""
    if register_only:
        expect["register_only"] = True
    CORPUS[name] = (content, expect)


def mutate(name: str, fn: Callable[[dict[str, Any]], Any], code: str, path: str, text: str, *, fmt: str = "yaml",
           register_only: bool = False) -> None:
    data = copy.deepcopy(BASE)
    fn(data)
    content = dump_json(data) if fmt == "json" else dump_yaml(data)
    add(f"{name}.{fmt}", content, code, path, text, register_only=register_only)


def replace(name: str, old: str, new: str, code: str, path: str | None, text: str, *, prefix: str | None = None) -> None:
    src = base_yaml()
    assert src.count(old) == 1, (name, old)
    add(f"{name}.yaml", src.replace(old, new).encode("utf-8"), code, path, text, prefix=prefix)


def setter(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A mutation that sets (or with value DELETE removes) the element at a dotted path like 'decisions[0].title'."""
    def fn(data: dict[str, Any]) -> None:
        node: Any = data
        parts = path.replace("]", "").replace("[", ".").split(".")
        for p in parts[:-1]:
            node = node[int(p)] if isinstance(node, list) else node.setdefault(p, {})
        last = parts[-1]
        key: Any = int(last) if isinstance(node, list) else last
        if value is DELETE:
            del node[key]
        else:
            node[key] = value
    return fn


DELETE = object()


def appended(section: str, item: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    return lambda data: data[section].append(item)


def new_grant(**kw: Any) -> dict[str, Any]:
    g = {"id": "T-AD-2025-02/1", "to": "t-adj", "powers": ["budgethouderschap.verbintenis"], "under": "T-CBS-2025-01/1",
         "limits": {"max_amount": 500}, "reporting": [{"to": "t-ad", "every": "month"}]}
    g.update(kw)
    return g


def new_decision(**kw: Any) -> dict[str, Any]:
    d = {"id": "T-AD-2025-02", "title": "Bijkomende subdelegatie (test)", "by": "t-ad", "decided_on": "2025-03-01",
         "effective_from": "2025-03-01", "legal_basis": "T-REGLEMENT", "grants": [new_grant()]}
    d.update(kw)
    return d


# -- syntax errors ----------------------------------------------------------------------------------------------
def syntax() -> None:
    src = base_yaml()
    add("syntax_unclosed_flow.yaml", src.replace("{id: t-bestuur, name: Bestuur (test)}", "{id: t-bestuur, name: Bestuur (test)", 1)
        .encode(), "FORMAT", text="verwacht geldige YAML", prefix="regel ")
    add("syntax_bad_indent.yaml", src.replace("units:\n", "units:\n   - {id: x, name: y}\n  - {id: z, name: w}\n", 1).encode(),
        "FORMAT", text="verwacht geldige YAML", prefix="regel ")
    add("syntax_tab_indent.yaml", b"format: delegaties/1\nadministration:\n\tid: voorbeeldegem\n", "FORMAT",
        text="verwacht geldige YAML", prefix="regel ")
    add("syntax_unclosed_quote.yaml", b'format: "delegaties/1\nadministration: {id: voorbeeldegem, name: x}\n', "FORMAT",
        text="verwacht geldige YAML", prefix="regel ")
    add("syntax_mapping_in_plain.yaml", b"format: delegaties/1\nadministration: id: voorbeeldegem\n", "FORMAT",
        text="verwacht geldige YAML", prefix="regel ")
    add("syntax_stray_dash.yaml", b"format: delegaties/1\n- id: x\nunits: []\n", "FORMAT", text="verwacht geldige YAML",
        prefix="regel ")
    add("syntax_two_documents.yaml", src.encode() + b"---\n" + src.encode(), "FORMAT", text="verwacht geldige YAML",
        prefix="regel ")
    add("syntax_unclosed_block.yaml", src.encode() + b"extra: [\n", "FORMAT", text="verwacht geldige YAML", prefix="regel ")
    js = dump_json(BASE).decode()
    add("syntax_json_trailing_comma.json", js.replace('"format": "delegaties/1",', '"format": "delegaties/1",,', 1).encode(),
        "FORMAT", text="verwacht geldige JSON", prefix="regel ")
    add("syntax_json_truncated.json", js[: len(js) // 2].encode(), "FORMAT", text="verwacht geldige JSON", prefix="regel ")
    add("syntax_json_single_quotes.json", b"{'format': 'delegaties/1'}", "FORMAT", text="verwacht geldige JSON",
        prefix="regel ")
    add("syntax_json_comment.json", b'// register\n{"format": "delegaties/1"}', "FORMAT", text="verwacht geldige JSON",
        prefix="regel ")
    add("syntax_json_trailing_garbage.json", js.encode() + b"\n}", "FORMAT", text="verwacht geldige JSON", prefix="regel ")


# -- shape and format version -------------------------------------------------------------------------------
def shape() -> None:
    add("top_list.yaml", b"- format: delegaties/1\n", "FORMAT", "", "verwacht een object met 'format: delegaties/1'")
    add("top_scalar.yaml", b"delegaties/1\n", "FORMAT", "", "verwacht een object met 'format: delegaties/1'")
    add("top_null.yaml", b"~\n", "FORMAT", "", "verwacht een object met 'format: delegaties/1'")
    add("only_comments.yaml", b"# een register zonder inhoud\n# nog een regel\n", "FORMAT", "",
        "verwacht een object met 'format: delegaties/1'")
    add("top_json_list.json", b"[1, 2, 3]", "FORMAT", "", "verwacht een object met 'format: delegaties/1'")
    mutate("format_missing", setter("format", DELETE), "FORMAT", "format", "verwacht 'delegaties/1', gevonden niets")
    mutate("format_v2", setter("format", "delegaties/2"), "FORMAT", "format", "verwacht 'delegaties/1', gevonden 'delegaties/2'")
    mutate("format_v0", setter("format", "delegaties/0"), "FORMAT", "format", "verwacht 'delegaties/1'")
    mutate("format_v2_json", setter("format", "delegaties/2"), "FORMAT", "format", "verwacht 'delegaties/1'", fmt="json")
    mutate("format_number", setter("format", 1), "FORMAT", "format", "verwacht 'delegaties/1', gevonden 1")
    mutate("format_other_name", setter("format", "gedelegeerd/1"), "FORMAT", "format", "verwacht 'delegaties/1'")
    mutate("format_case", setter("format", "Delegaties/1"), "FORMAT", "format", "verwacht 'delegaties/1'")
    mutate("format_list", setter("format", ["delegaties/1"]), "FORMAT", "format", "verwacht 'delegaties/1'")
    mutate("unknown_top_key", setter("aanhangsels", []), "FORMAT", "", "geen onbekende sleutels (gevonden: aanhangsels)")
    mutate("administration_missing", setter("administration", DELETE), "FORMAT", "administration", "verwacht een verplicht veld")
    mutate("administration_other_id", setter("administration.id", "anderegem"), "FORMAT", "administration.id",
           "verwacht 'voorbeeldegem'", register_only=True)
    mutate("decision_changed_content", appended("decisions", {
        "id": "CBS-2025-0412", "title": "Andere inhoud onder een bestaand nummer", "by": "college", "decided_on": "2025-01-20",
        "effective_from": "2025-02-01", "legal_basis": "DLB-41", "grants": []}), "DUPLICATE_ID", "decisions[2].id",
        "staat al in het register met andere inhoud", register_only=True)


# -- wrong types ----------------------------------------------------------------------------------------------
def types() -> None:
    cases = [
        ("units_not_list", "units", {"id": "t-x", "name": "x"}, "units", "verwacht een lijst"),
        ("unit_is_string", "units[0]", "t-bestuur", "units[0]", "verwacht een object met sleutels"),
        ("unit_id_number", "units[0].id", 12, "units[0].id", "verwacht tekst"),
        ("unit_name_empty", "units[0].name", "  ", "units[0].name", "verwacht niet-lege tekst"),
        ("unit_name_null", "units[0].name", None, "units[0].name", "verwacht tekst"),
        ("unit_unknown_key", "units[1].ouder", "t-bestuur", "units[1]", "geen onbekende sleutels (gevonden: ouder)"),
        ("position_manager_string", "positions[1].manager", "ja", "positions[1].manager", "verwacht true of false"),
        ("position_manager_number", "positions[1].manager", 1, "positions[1].manager", "verwacht true of false"),
        ("position_substitutes_string", "positions[1].substitutes", "t-adj", "positions[1].substitutes", "verwacht een lijst"),
        ("position_kind_unknown", "positions[1].kind", "koning", "positions[1].kind", "verwacht een van"),
        ("person_name_list", "persons[0].name", ["Toon", "Test"], "persons[0].name", "verwacht tekst"),
        ("person_missing_name", "persons[0].name", DELETE, "persons[0].name", "verwacht een verplicht veld"),
        ("person_missing_id", "persons[1].id", DELETE, "persons[1].id", "verwacht een verplicht veld"),
        ("person_nested_object", "persons[2]", {"id": {"nested": "x"}, "name": "x"}, "persons[2].id", "verwacht tekst"),
        ("appointment_from_number", "appointments[0].from", 20200101, "appointments[0].from", "verwacht een datum JJJJ-MM-DD"),
        ("appointment_from_datetime", "appointments[0].from", "2020-01-01T08:00:00", "appointments[0].from",
         "verwacht een datum JJJJ-MM-DD"),
        ("appointment_python_key", "appointments[0].from_", "2020-01-01", "appointments[0]", "geen onbekende sleutels"),
        ("appointment_capacity_unknown", "appointments[0].capacity", "interim", "appointments[0].capacity", "verwacht een van"),
        ("appointment_capacity_bool", "appointments[0].capacity", True, "appointments[0].capacity", "verwacht tekst"),
        ("decision_grants_not_list", "decisions[0].grants", {"id": "x"}, "decisions[0].grants", "verwacht een lijst"),
        ("decision_grants_string", "decisions[0].grants", "T-CBS-2025-01/1", "decisions[0].grants", "verwacht een lijst"),
        ("decision_title_number", "decisions[0].title", 2025, "decisions[0].title", "verwacht tekst"),
        ("decision_title_too_long", "decisions[0].title", "x" * 10_001, "decisions[0].title", "tekst van redelijke lengte"),
        ("decision_entity_unknown", "decisions[0].entity", "provincie", "decisions[0].entity", "verwacht een van gemeente, ocmw"),
        ("decision_review_zero", "decisions[0].review_every_years", 0, "decisions[0].review_every_years", "1 of meer"),
        ("decision_review_fraction", "decisions[0].review_every_years", "2.5", "decisions[0].review_every_years",
         "verwacht een geheel getal"),
        ("decision_review_huge", "decisions[0].review_every_years", 10**12, "decisions[0].review_every_years",
         "verwacht een geheel getal van 0 tot 10000"),
        ("grant_powers_string", f"{G0}.powers", "budgethouderschap.verbintenis", f"{G0}.powers", "verwacht een lijst"),
        ("grant_powers_empty", f"{G0}.powers", [], f"{G0}.powers", "verwacht minstens een bevoegdheid"),
        ("grant_powers_numbers", f"{G0}.powers", [1, 2], f"{G0}.powers[0]", "verwacht tekst"),
        ("grant_to_missing", f"{G0}.to", DELETE, f"{G0}.to", "verwacht een verplicht veld"),
        ("limits_not_object", f"{G0}.limits", [25000], f"{G0}.limits", "verwacht een object met sleutels"),
        ("limits_unknown_key", f"{G0}.limits.max_bedrag", 100, f"{G0}.limits", "geen onbekende sleutels (gevonden: max_bedrag)"),
        ("limits_budget_keys_numbers", f"{G0}.limits.budget_keys", [119, 61], f"{G0}.limits.budget_keys[0]", "verwacht tekst"),
        ("subdelegation_depth_text", f"{G0}.subdelegation.max_depth", "twee", f"{G0}.subdelegation.max_depth",
         "verwacht een geheel getal"),
        ("subdelegation_depth_negative", f"{G0}.subdelegation.max_depth", -1, f"{G0}.subdelegation.max_depth",
         "verwacht een geheel getal van 0 tot 10000"),
        ("subdelegation_allowed_text", f"{G0}.subdelegation.allowed", "ja", f"{G0}.subdelegation.allowed", "verwacht true of false"),
        ("reporting_every_unknown", f"{G0}.reporting[0].every", "weekly", f"{G0}.reporting[0].every", "verwacht een van act"),
        ("reporting_days_bool", f"{G0}.reporting[0].within_days", True, f"{G0}.reporting[0].within_days",
         "verwacht een geheel getal"),
        ("reporting_not_list", f"{G0}.reporting", {"to": "college", "every": "year"}, f"{G0}.reporting", "verwacht een lijst"),
        ("signature_mention_number", f"{G0}.signature_mention", 12, f"{G0}.signature_mention", "verwacht tekst"),
        ("string_with_nul_char", "persons[0].name", "Toon\x00Test", "persons[0].name", "zonder NUL-tekens"),
        ("rule_holder_list", "rules[0].holder", ["college"], "rules[0].holder", "verwacht tekst"),
        ("revocation_reason_object", "revocations[0].reason", {"nl": "x"}, "revocations[0].reason", "verwacht tekst"),
        ("conflict_matter_number", "conflicts[0].matter", 999999998, "conflicts[0].matter", "verwacht tekst"),
    ]
    for i, (name, where, value, path, text) in enumerate(cases):
        mutate(name, setter(where, value), "FORMAT", path, text, fmt="json" if i % 5 == 4 else "yaml")


# -- amounts --------------------------------------------------------------------------------------------------
def amounts() -> None:
    mx = f"{G0}.limits.max_amount"
    for name, value, text in [
        ("amount_negative", -100, "verwacht een bedrag van 0 of meer"),
        ("amount_negative_text", "-0.01", "verwacht een bedrag van 0 of meer"),
        ("amount_nan", float("nan"), "verwacht een eindig bedrag"),
        ("amount_inf", float("inf"), "verwacht een eindig bedrag"),
        ("amount_negative_inf", float("-inf"), "verwacht een eindig bedrag"),
        ("amount_huge", 10**15, "verwacht een bedrag kleiner dan 10^12 EUR"),
        ("amount_absurd_digits", int("9" * 99), "verwacht een bedrag kleiner dan 10^12 EUR"),
        ("amount_absurd_text", "1" + "0" * 60, "verwacht een bedrag kleiner dan 10^12 EUR"),
        ("amount_three_decimals", "12.345", "verwacht een bedrag met hoogstens 2 decimalen"),
        ("amount_words", "vijfduizend", "verwacht een bedrag in EUR zoals 1200"),
        ("amount_dutch_notation", "1.200,50", "verwacht een bedrag in EUR zoals 1200"),
        ("amount_currency_sign", "EUR 500", "verwacht een bedrag in EUR zoals 1200"),
        ("amount_bool", True, "verwacht een bedrag in EUR (getal of decimale tekst)"),
        ("amount_list", [1, 2], "verwacht een bedrag in EUR zoals 1200"),
        ("amount_object", {"value": 5}, "verwacht een bedrag in EUR zoals 1200"),
        ("amount_arabic_digits", "\u0661\u0662\u0660\u0660", "verwacht een bedrag in EUR zoals 1200"),
        ("amount_text_nan", "NaN", "verwacht een bedrag in EUR zoals 1200"),
        ("amount_text_infinity", "Infinity", "verwacht een bedrag in EUR zoals 1200"),
    ]:
        mutate(name, setter(mx, value), "FORMAT", mx, text)
    mutate("amount_negative_ceiling", setter(f"{G1}.limits.annual_ceiling", -5), "FORMAT", f"{G1}.limits.annual_ceiling",
           "verwacht een bedrag van 0 of meer", fmt="json")
    mutate("amount_negative_visum", setter(f"{G0}.requires.visum_above", -1), "FORMAT", f"{G0}.requires.visum_above",
           "verwacht een bedrag van 0 of meer")
    js = dump_json(BASE).decode()
    for name, token, text in [("amount_json_nan", "NaN", "verwacht een eindig bedrag"),
                              ("amount_json_infinity", "Infinity", "verwacht een eindig bedrag"),
                              ("amount_json_minus_infinity", "-Infinity", "verwacht een eindig bedrag"),
                              ("amount_json_exponent_huge", "1e999999999", "verwacht een bedrag kleiner dan 10^12 EUR"),
                              ("amount_json_exponent_tiny", "1e-999999999", "verwacht een bedrag met hoogstens 2 decimalen"),
                              ("amount_json_big_int", "9" * 5000, "verwacht geldige JSON")]:
        assert js.count('"max_amount": 25000') == 1
        path = "" if name == "amount_json_big_int" else mx
        add(f"{name}.json", js.replace('"max_amount": 25000', f'"max_amount": {token}').encode(), "FORMAT", path, text)
    replace("amount_yaml_exponent_huge", "max_amount: 25000", "max_amount: 1.0e+999999999", "FORMAT", mx,
            "verwacht een bedrag kleiner dan 10^12 EUR")
    replace("amount_yaml_hex", "max_amount: 25000", "max_amount: 0x61A8", "FORMAT", mx, "verwacht een bedrag in EUR zoals 1200")
    replace("amount_yaml_sexagesimal", "max_amount: 25000", "max_amount: 6:56:40", "FORMAT", mx,
            "verwacht een bedrag in EUR zoals 1200")
    replace("amount_yaml_long_digits", "max_amount: 25000", "max_amount: " + "9" * 5000, "FORMAT", mx,
            "verwacht een getal van hoogstens 100 cijfers")


# -- dates and periods ----------------------------------------------------------------------------------------
def dates() -> None:
    for name, where, value, text in [
        ("date_feb30", "decisions[0].decided_on", "2025-02-30", "verwacht een bestaande datum"),
        ("date_feb29_2025", "decisions[0].effective_from", "2025-02-29", "verwacht een bestaande datum"),
        ("date_month13", "appointments[1].from", "2020-13-01", "verwacht een bestaande datum"),
        ("date_day00", "absences[0].from", "2025-07-00", "verwacht een bestaande datum"),
        ("date_year0", "conflicts[0].from", "0000-01-01", "verwacht een bestaande datum"),
        ("date_slashes", "revocations[0].effective_from", "2026/01/01", "verwacht een datum JJJJ-MM-DD"),
        ("date_dutch_order", "decisions[1].decided_on", "03-02-2025", "verwacht een datum JJJJ-MM-DD"),
        ("date_short", "decisions[1].effective_from", "2025-2-3", "verwacht een datum JJJJ-MM-DD"),
        ("date_five_digit_year", "appointments[0].from", "20200-01-01", "verwacht een datum JJJJ-MM-DD"),
        ("date_fullwidth_digits", "appointments[0].from", "\uff12\uff10\uff12\uff10-01-01", "verwacht een datum JJJJ-MM-DD"),
        ("date_empty", "absences[0].until", "", "verwacht een datum JJJJ-MM-DD"),
        ("date_bool", "conflicts[0].until", True, "verwacht een datum JJJJ-MM-DD"),
    ]:
        mutate(name, setter(where, value), "FORMAT", where, text)
    replace("date_yaml_timestamp_tag", "decided_on: '2025-01-20'", "decided_on: !!timestamp 2025-01-20", "FORMAT",
            "decisions[0].decided_on", "verwacht waarden zonder tags")
    for name, where, value, path in [
        ("period_appointment", "appointments[2].until", "2019-12-31", "appointments[2].until"),
        ("period_absence", "absences[0].until", "2025-06-30", "absences[0].until"),
        ("period_decision", "decisions[0].effective_until", "2025-01-31", "decisions[0].effective_until"),
        ("period_conflict", "conflicts[0].until", "2024-12-31", "conflicts[0].until"),
    ]:
        mutate(name, setter(where, value), "INVALID_PERIOD", path, "ligt voor begindatum")


# -- references -----------------------------------------------------------------------------------------------
def references() -> None:
    for name, where, value, path, text in [
        ("ref_unit_parent", "units[1].parent", "t-onbekend", "units[1].parent", "'t-onbekend' is geen gekende organisatie-eenheid"),
        ("ref_position_unit", "positions[0].unit", "t-nergens", "positions[0].unit", "geen gekende organisatie-eenheid"),
        ("ref_substitute", "positions[1].substitutes", ["t-spook"], "positions[1].substitutes[0]", "geen gekende functie"),
        ("ref_appointment_person", "appointments[0].person", "t-p99", "appointments[0].person", "geen gekende persoon"),
        ("ref_appointment_position", "appointments[0].position", "t-xx", "appointments[0].position", "geen gekende functie"),
        ("ref_absence_person", "absences[0].person", "t-p98", "absences[0].person", "geen gekende persoon"),
        ("ref_conflict_person", "conflicts[0].person", "t-p97", "conflicts[0].person", "geen gekende persoon"),
        ("ref_decision_by", "decisions[0].by", "raad-van-bestuur", "decisions[0].by", "geen gekende orgaan, functie of persoon"),
        ("ref_legal_basis", "decisions[0].legal_basis", "DLB-9999", "decisions[0].legal_basis", "geen gekende rechtsgrond"),
        ("ref_grant_to", f"{G0}.to", "t-niemand", f"{G0}.to", "geen gekende orgaan, functie of persoon"),
        ("ref_grant_power", f"{G0}.powers", ["budgethouderschap.toveren"], f"{G0}.powers[0]", "geen gekende bevoegdheid"),
        ("ref_grant_under", f"{G1}.under", "T-CBS-2025-01/9", f"{G1}.under", "geen gekende delegatie-id"),
        ("ref_limits_unit", f"{G0}.limits.units", ["t-maan"], f"{G0}.limits.units[0]", "geen gekende organisatie-eenheid"),
        ("ref_limits_document_type", f"{G0}.limits.document_types", ["toverformule"], f"{G0}.limits.document_types[0]",
         "geen gekende documenttype"),
        ("ref_limits_issuer", f"{G0}.limits.issuers", ["koning"], f"{G0}.limits.issuers[0]", "geen gekende orgaan-id"),
        ("ref_limits_excluded", f"{G0}.limits.excluded", ["budgethouderschap.toveren"], f"{G0}.limits.excluded[0]",
         "geen gekende bevoegdheid of documenttype"),
        ("ref_only_when_absent", f"{G1}.limits.only_when_absent", "t-weg", f"{G1}.limits.only_when_absent", "geen gekende functie"),
        ("ref_cosignature_by", f"{G0}.requires.cosignature_by", "t-spook", f"{G0}.requires.cosignature_by",
         "geen gekende orgaan of functie"),
        ("ref_reporting_to", f"{G0}.reporting[0].to", "t-pers", f"{G0}.reporting[0].to", "geen gekende orgaan of functie"),
        ("ref_revocation_target", "revocations[0].target", "T-XX-2025-01", "revocations[0].target",
         "geen gekende besluit of delegatie"),
        ("ref_rule_holder", "rules[0].holder", "t-ad", "rules[0].holder", "geen gekende orgaan-id"),
        ("ref_rule_power", "rules[0].powers", ["vliegen"], "rules[0].powers[0]", "geen gekende bevoegdheid"),
        ("ref_rule_delegable_to", "rules[0].delegable_to", ["koning"], "rules[0].delegable_to[0]",
         "geen gekende orgaan-id of functiesoort"),
        ("ref_rule_notify", "rules[0].notify", "pers", "rules[0].notify", "geen gekende orgaan-id"),
        ("ref_power_family", "powers[0].id", "toverkunst.t-spreuk", "powers[0].id", "geen gekende bevoegdheidsfamilie"),
    ]:
        mutate(name, setter(where, value), "UNKNOWN_REFERENCE", path, text)


# -- duplicates -----------------------------------------------------------------------------------------------
def duplicates() -> None:
    for name, section, item, path, text in [
        ("dup_unit", "units", {"id": "t-aankoop", "name": "Nog eens aankoop"}, "units[2]", "komt meer dan eens voor in units"),
        ("dup_position", "positions", {"id": "t-dh", "name": "Dubbel"}, "positions[4]", "komt meer dan eens voor in positions"),
        ("dup_person", "persons", {"id": "t-p1", "name": "Dubbele Toon"}, "persons[4]", "komt meer dan eens voor in persons"),
        ("dup_person_is_position", "persons", {"id": "t-dh", "name": "Persoon met functie-id"}, "persons[4].id",
         "is al in gebruik als position-id"),
        ("dup_organ_id", "positions", {"id": "college", "name": "Vals college"}, "positions[4].id", "gereserveerde orgaan-id"),
        ("dup_packaged_rule", "rules", {**RULE, "id": "DLB-41"}, "rules[1].id", "ingebouwde rechtsgrond"),
        ("dup_packaged_power", "powers", {"id": "budgethouderschap.verbintenis", "name": "Dubbel"}, "powers[1].id",
         "ingebouwde bevoegdheid"),
        ("dup_rule", "rules", dict(RULE), "rules[1]", "komt meer dan eens voor in rules"),
        ("dup_appointment", "appointments", {"person": "t-p1", "position": "t-ad", "from": "2020-01-01"}, "appointments[4]",
         "komt meer dan eens voor in appointments"),
        ("dup_decision", "decisions", new_decision(id="T-CBS-2025-01", grants=[new_grant(id="T-X/1")]), "decisions[2]",
         "komt meer dan eens voor in decisions"),
        ("dup_grant", "decisions", new_decision(grants=[new_grant(id="T-CBS-2025-01/1")]), "decisions[2].grants[0].id",
         "delegatie-id 'T-CBS-2025-01/1' is niet uniek"),
    ]:
        mutate(name, appended(section, item), "DUPLICATE_ID", path, text)
    src = base_yaml()
    add("dup_key_top.yaml", (src + "format: delegaties/1\n").encode(), "FORMAT", "format",
        "verwacht elke sleutel hoogstens eenmaal per object")
    add("dup_key_nested.yaml", src.replace("- id: T-CBS-2025-01\n", "- id: T-CBS-2025-01\n  id: T-CBS-2025-99\n", 1).encode(),
        "FORMAT", "decisions[0].id", "verwacht elke sleutel hoogstens eenmaal per object")
    add("dup_key_section.yaml", (src + "decisions: []\n").encode(), "FORMAT", "decisions",
        "verwacht elke sleutel hoogstens eenmaal per object")
    js = dump_json(BASE).decode()
    add("dup_key.json", js.replace('"format": "delegaties/1",', '"format": "delegaties/1", "format": "delegaties/1",', 1)
        .encode(), "FORMAT", "", "komt tweemaal voor")


# -- cycles and legality ---------------------------------------------------------------------------------------
def cycles() -> None:
    def unit_cycle(data: dict[str, Any]) -> None:
        data["units"][0]["parent"] = "t-aankoop"

    mutate("cycle_units", unit_cycle, "CYCLE", "units[0].parent", "ligt onder zichzelf")
    mutate("cycle_unit_self", setter("units[1].parent", "t-aankoop"), "CYCLE", "units[1].parent", "ligt onder zichzelf")

    def under_cycle(data: dict[str, Any]) -> None:
        data["decisions"].append(new_decision(grants=[new_grant(id="T-AD-2025-02/1", under="T-AD-2025-02/2"),
                                                      new_grant(id="T-AD-2025-02/2", under="T-AD-2025-02/1")]))

    mutate("cycle_grant_under", under_cycle, "CYCLE", "decisions[2].grants[0].under", "komt terug bij")
    mutate("cycle_under_self", appended("decisions", new_decision(grants=[new_grant(under="T-AD-2025-02/1")])), "CYCLE",
           "decisions[2].grants[0].under", "komt terug bij")
    mutate("cycle_self_delegation", setter(f"{G1}.to", "t-ad"), "CYCLE", f"{G1}.to", "kan niet aan zichzelf delegeren")
    mutate("cycle_substitute_self", setter("positions[2].substitutes", ["t-adj"]), "CYCLE", "positions[2].substitutes[0]",
           "kan zichzelf niet vervangen")
    mutate("collegial_to_member", setter(f"{G0}.to", "t-sch"), "COLLEGIAL_TO_MEMBER", f"{G0}.to", "collegiaal orgaan")
    mutate("target_not_eligible", setter(f"{G0}.to", "t-dh"), "TARGET_NOT_ELIGIBLE", f"{G0}.to", "laat delegatie door college")
    mutate("not_delegable", setter(f"{G0}.powers", ["budgethouderschap.subsidieaanvraag"]), "NOT_DELEGABLE",
           f"{G0}.powers[0]", "blijft volgens T-REGLEMENT bij de houder")


# -- hostile YAML ---------------------------------------------------------------------------------------------
def hostile_yaml() -> None:
    laughs = ["format: delegaties/1", 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    laughs += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    add("yaml_alias_bomb.yaml", ("\n".join(laughs) + "\n").encode(), "FORMAT", "a0", "een anker of alias")
    mx = f"{G0}.limits.max_amount"
    replace("yaml_alias_amount", "max_amount: 25000", "max_amount: *bedrag", "FORMAT", mx, "een anker of alias")
    src = base_yaml()
    anchored = src.replace("max_amount: 25000", "max_amount: &bedrag 25000", 1).replace("max_amount: 8500", "max_amount: *bedrag", 1)
    add("yaml_alias_shared.yaml", anchored.encode(), "FORMAT", mx, "een anker of alias")
    replace("yaml_anchor_only", "- id: T-CBS-2025-01\n", "- &besluit\n  id: T-CBS-2025-01\n", "FORMAT", "decisions[0]",
            "een anker of alias")
    replace("yaml_merge_key", "- {id: t-p1, name: Toon Test}", "- {<<: {id: t-p1}, name: Toon Test}", "FORMAT",
            "persons[0].<<", "samenvoegsleutel")
    for name, tag in [("yaml_python_object_apply", "!!python/object/apply:os.system ['echo gekaapt']"),
                      ("yaml_python_name", "!!python/name:os.system"),
                      ("yaml_python_module", "!!python/module:os"),
                      ("yaml_python_object_new", "!!python/object/new:subprocess.Popen [['true']]"),
                      ("yaml_binary_tag", "!!binary VGl0ZWw="),
                      ("yaml_set_tag", "!!set {a, b}"),
                      ("yaml_omap_tag", "!!omap [a: 1]"),
                      ("yaml_custom_tag", "!gemeente Voorbeeldegem"),
                      ("yaml_verbatim_tag", "!<tag:example.invalid,2025:x> y")]:
        replace(name, "title: Budgethouderschap voor de algemeen directeur (test)", f"title: {tag}", "FORMAT",
                "decisions[0].title", "verwacht waarden zonder tags")
    add("yaml_python_tag_top.yaml", b"!!python/object/apply:os.system ['echo gekaapt']\n", "FORMAT", None,
        "verwacht waarden zonder tags", prefix="regel ")
    add("yaml_tag_on_key.yaml", b"format: delegaties/1\n!!python/str administration: {id: voorbeeldegem, name: x}\n",
        "FORMAT", None, "verwacht tekst als sleutel", prefix="regel ")
    add("yaml_composite_key.yaml", b"format: delegaties/1\n? [administration]\n: {id: voorbeeldegem, name: x}\n", "FORMAT",
        None, "verwacht tekst als sleutel", prefix="regel ")
    add("yaml_integer_key.yaml", b"format: delegaties/1\n2025: jaar\n", "FORMAT", "", "verwacht tekst als sleutel")
    add("yaml_deep_flow.yaml", b"format: delegaties/1\nunits: " + b"[" * 10000 + b"]" * 10000 + b"\n", "FORMAT", None,
        "niveaus nesting", prefix="units[0][0][0]", any_layer=True)
    add("yaml_deep_block.yaml", b"format: delegaties/1\nunits:\n" + b"- " * 5000 + b"x\n", "FORMAT", None, "niveaus nesting",
        prefix="units[0][0][0]", any_layer=True)
    add("yaml_deep_mapping.yaml", b"format: delegaties/1\nunits: " + b"{a: " * 5000 + b"1" + b"}" * 5000 + b"\n", "FORMAT",
        None, "niveaus nesting", prefix="units.a.a.a", any_layer=True)
    add("yaml_deep_100.yaml", b"format: delegaties/1\nunits: " + b"[" * 100 + b"]" * 100 + b"\n", "FORMAT", None,
        "niveaus nesting", prefix="units[0][0]")
    add("json_deep_100.json", b'{"format": "delegaties/1", "units": ' + b"[" * 100 + b"]" * 100 + b"}", "FORMAT", None,
        "redelijke omvang en nesting", prefix="units[0][0]")
    add("json_deep_20000.json", b'{"format": "delegaties/1", "units": ' + b"[" * 20000 + b"]" * 20000 + b"}", "FORMAT", "",
        "verwacht geldige JSON", any_layer=True)
    add("yaml_control_char.yaml", src.replace("Toon Test", "Toon\x07Test", 1).encode(), "FORMAT", "",
        "verwacht YAML-tekst zonder stuurtekens")
    add("yaml_escape_nul.yaml", src.replace("name: Toon Test", 'name: "Toon\\0Test"', 1).encode(), "FORMAT", "persons[0].name",
        "zonder NUL-tekens")
    add("yaml_flow_not_json.yaml", b"{format: delegaties/1, administration: {id: voorbeeldegem, name: x}, units: 5}", "FORMAT",
        "units", "verwacht een lijst")


# -- bytes, encodings, emptiness -------------------------------------------------------------------------------
def raw_bytes() -> None:
    rng = random.Random(20250101)
    add("binary_garbage.yaml", bytes(rng.randrange(256) for _ in range(4096)), "FORMAT", "", "verwacht tekst (UTF-8)")
    add("binary_garbage_no_nul.yaml", bytes(rng.randrange(128, 256) for _ in range(4096)), "FORMAT", "", "verwacht UTF-8-tekst")
    add("binary_png.yaml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(rng.randrange(256) for _ in range(200)), "FORMAT", "",
        "verwacht tekst (UTF-8)")
    add("binary_gzip.json", b"\x1f\x8b\x08\x00" + bytes(rng.randrange(256) for _ in range(200)) + b"\x00", "FORMAT", "",
        "verwacht tekst (UTF-8)")
    src = base_yaml()
    add("latin1.yaml", src.replace("Bestuur (test)", "Financiën (test)", 1).encode("latin-1"), "FORMAT", "",
        "verwacht UTF-8-tekst, gevonden een ongeldige byte op positie")
    add("latin1.json", dump_json({**BASE, "units": [{"id": "t-x", "name": "Financiën"}]}).decode().encode("latin-1"), "FORMAT", "",
        "verwacht UTF-8-tekst")
    add("utf16.yaml", src.encode("utf-16"), "FORMAT", "", "verwacht tekst (UTF-8)")
    add("utf16.json", dump_json(BASE).decode().encode("utf-16-le"), "FORMAT", "", "verwacht tekst (UTF-8)")
    add("overlong_utf8.yaml", src.encode().replace(b"Toon", b"T\xc0\xafon", 1), "FORMAT", "", "verwacht UTF-8-tekst")
    add("nul_in_middle.yaml", src.encode().replace(b"Toon Test", b"Toon\x00Test", 1), "FORMAT", "", "binaire gegevens (NUL-bytes)")
    add("nul_at_end.json", dump_json(BASE) + b"\x00", "FORMAT", "", "binaire gegevens (NUL-bytes)")
    add("empty.yaml", b"", "FORMAT", "", "gevonden een leeg bestand")
    add("empty.json", b"", "FORMAT", "", "gevonden een leeg bestand")
    add("whitespace_only.yaml", b" \n\t\n\r\n   ", "FORMAT", "", "gevonden een leeg bestand")
    add("bom_only.yaml", b"\xef\xbb\xbf", "FORMAT", "", "verwacht een object met 'format: delegaties/1'")
    add("json_lone_surrogate.json", dump_json(BASE).replace(b"Toon Test", b"Toon \\ud800 Test", 1), "FORMAT", "persons[0].name",
        "losse surrogaat-code")
    add("yaml_lone_surrogate.yaml", src.replace("name: Toon Test", 'name: "Toon \\ud800 Test"', 1).encode(), "FORMAT", None,
        "verwacht geldige YAML", prefix="regel ")


def build() -> dict[str, dict[str, Any]]:
    for section in (syntax, shape, types, amounts, dates, references, duplicates, cycles, hostile_yaml, raw_bytes):
        section()
    return {name: expect for name, (_content, expect) in CORPUS.items()}


def main() -> None:
    manifest = build()
    if HERE.exists():
        shutil.rmtree(HERE)
    HERE.mkdir(parents=True)
    for name, (content, _expect) in CORPUS.items():
        (HERE / name).write_bytes(content)
    (HERE / "base.yaml").write_bytes(dump_yaml(BASE))
    (HERE / "expected.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                                        encoding="utf-8")
    total = sum(len(c) for c, _ in CORPUS.values())
    print(f"{len(CORPUS)} bad files, {total} bytes, in {HERE}")


if __name__ == "__main__":
    main()
