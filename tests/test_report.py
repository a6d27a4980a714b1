"""The annual delegation report and the periodic report: figures that can be traced to recorded uses.

The register below belongs to "Proefgem", a fictional administration; some of its names carry
markup on purpose, to prove that every output escapes them.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from registry import Registry
from tests.helpers import EXAMPLE, VERBINTENIS, base_register, cli, decision, grant, write_yaml

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'

# (reference, actor, on, amount, budget key): the uses whose figures the report must show exactly.
USES = [
    ("BB-01", "q-03", "2025-03-03", "1234.56", "0119/6140000"),
    ("BB-02", "q-03", "2025-05-05", "100", "0119/6140000"),
    ("BB-03", "q-03", "2025-08-08", "250.5", "0119/6150000"),
    ("BB-04", "q-06", "2025-04-04", "999.99", "0200/6100000"),
    ("BB-05", "q-01", "2025-10-10", "5000", "0119/6100000"),
    ("BB-06", "q-03", "2026-01-05", "100", "0119/6140000"),  # next year: never in the 2025 figures
]
REFUSED = ("BB-07", "q-03", "2025-06-06", "3000", "0119/6140000")  # above the 2000 per act of AD-1/1
EXPECTED = {  # grant -> (uses, amount, {budget key: (uses, amount)})
    "AD-1/1": (3, "1585.06", {"0119/6140000": (2, "1334.56"), "0119/6150000": (1, "250.50")}),
    "AD-1/2": (1, "999.99", {"0200/6100000": (1, "999.99")}),
    "CBS-1/1": (5, "7585.05", {"0119/6100000": (1, "5000.00"), "0119/6140000": (2, "1334.56"),
                               "0119/6150000": (1, "250.50"), "0200/6100000": (1, "999.99")}),
}


def proefgem() -> dict[str, Any]:
    data = base_register(
        decisions=[
            decision("CBS-1", "college", [
                grant("CBS-1/1", "ad", limits={"annual_ceiling": 10000}, subdelegation={"allowed": True, "max_depth": 1})],
                decided_on="2023-06-01", review_every_years=1, title=f"Budgethouderschap <b>&amp;</b> {SCRIPT}"),
            decision("AD-1", "ad", [
                grant("AD-1/1", "dh-a", limits={"max_amount": 2000, "budget_keys": ["0119/61*"]},
                      reporting=[{"to": "ad", "every": "month", "within_days": 10, "content": "bestelbonnen"}]),
                grant("AD-1/2", "dh-t", limits={"budget_keys": ["0200/*"]}),
                grant("AD-1/3", "med-b", limits={"max_amount": 500}, reporting=[]),
                grant("AD-1/4", "sec", limits={"max_amount": 500})]),
            decision("AD-2", "ad", [grant("AD-2/1", "med-c", limits={"max_amount": 100})], effective_until="2025-09-30"),
            decision("AD-3", "ad", [grant("AD-3/1", "med-a", limits={"max_amount": 100})], effective_until="2026-02-15",
                     source="javascript:alert(1)"),
            decision("AD-4", "ad", [grant("AD-4/1", "med-a", powers=["medeondertekening"],
                                          limits={"document_types": ["briefwisseling"], "issuers": ["college"]})],
                     basis="DLB-283", effective_from="2025-04-01"),
        ],
        revocations=[{"target": "AD-1/2", "effective_from": "2025-07-01", "by": "AD-9", "reason": f"reorganisatie {IMG}"}],
    )
    for p in data["persons"]:
        if p["id"] == "q-03":
            p["name"] = SCRIPT
    for p in data["positions"]:
        if p["id"] == "dh-t":
            p["name"] = IMG
    return data


def build_register(tmp_path: Path) -> Path:
    """Proefgem with the uses above recorded (and one refusal); the register path."""
    db = tmp_path / "proefgem.db"
    with Registry.init(db) as reg:
        reg.load(write_yaml(tmp_path / "proefgem.yaml", proefgem()))
        for ref, actor, on, amount, key in [REFUSED, *USES]:
            answer = reg.record_use(reg.check(actor=actor, power=VERBINTENIS, on=on, amount=amount, budget_key=key), ref)
            assert answer.allowed == (ref != REFUSED[0]), (ref, [r.code for r in answer.reasons])
        assert reg.fsck() == []
    return db


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_register(tmp_path_factory.mktemp("proefgem"))


@pytest.fixture(scope="module")
def annual(register: Path) -> dict[str, Any]:
    with Registry.open(register) as reg:
        return reg.annual_report(2025, as_of="2026-01-15")


def _render(register: Path, fmt: str, lang: str = "nl", year: int = 2025) -> str:
    r = cli("--db", register, "--lang", lang, "report", "--year", year, "--format", fmt, "--on", "2026-01-15")
    assert r.code == 0, r
    return r.out


# -- figures ------------------------------------------------------------------------------------

def test_json_counts_and_totals_per_grant_and_budget_key(register: Path) -> None:
    data = json.loads(_render(register, "json"))
    grants = {g["id"]: g for g in data["grants"]}
    for gid, (n, amount, keys) in EXPECTED.items():
        g = grants[gid]
        assert (g["uses"], g["amount"]) == (n, amount), gid
        assert {k["budget_key"]: (k["uses"], k["amount"]) for k in g["budget_keys"]} == keys, gid
    assert grants["CBS-1/1"]["ceiling_used_pct"] == "75.85"  # 7585.05 of 10000
    assert (grants["AD-1/1"]["refusals"], grants["CBS-1/1"]["refusals"]) == (1, 0)
    assert grants["AD-1/3"]["uses"] == 0 and grants["AD-1/3"]["amount"] == "0.00"
    s = data["summary"]
    assert (s["uses"], s["amount"], s["refusals"], s["attestations"]) == (5, "7585.05", 1, 0)
    assert {k["budget_key"]: k["uses"] for k in s["budget_keys"]} == {
        "0119/6100000": 1, "0119/6140000": 2, "0119/6150000": 1, "0200/6100000": 1}


def test_csv_carries_the_same_figures(register: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(_render(register, "csv"))))
    by_grant = {r["grant"]: r for r in rows if r["record"] == "grant"}
    for gid, (n, amount, keys) in EXPECTED.items():
        assert (int(by_grant[gid]["uses"]), by_grant[gid]["amount"]) == (n, amount)
        found = {r["budget_key"]: (int(r["uses"]), r["amount"]) for r in rows
                 if r["record"] == "grant_budget_key" and r["grant"] == gid}
        assert found == keys
    total = next(r for r in rows if r["record"] == "total")
    assert (total["uses"], total["amount"], total["refusals"]) == ("5", "7585.05", "1")
    assert by_grant["CBS-1/1"]["ceiling_used_pct"] == "75.85"
    revoked = next(r for r in rows if r["record"] == "change" and r["status"] == "revoked")
    assert (revoked["grant"], revoked["effective"], revoked["reference"]) == ("AD-1/2", "2025-07-01", "AD-9")
    # A text a spreadsheet would take for a formula never starts a cell.
    assert not any(v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values() if v)


def _row(html: str, gid: str) -> str:
    start = html.index(f'<tr id="grant-{gid}">')
    return html[start:html.index("</tr>", start)]


def test_html_shows_the_same_figures_in_dutch_formats(register: Path) -> None:
    html = _render(register, "html")
    for gid, (n, amount, _keys) in EXPECTED.items():
        cells = re.findall(r"<td[^>]*>(.*?)</td>", _row(html, gid), re.S)
        assert str(n) in cells and f"{_nl(amount)} EUR" in cells, (gid, cells)
    assert "75,85 %" in _row(html, "CBS-1/1")
    assert "1.334,56 EUR" in html and "7.585,05 EUR" in html
    md = _render(register, "md")
    assert "| AD-1/1 |" in md and "| 3 | 1.585,06 EUR |" in md


def _nl(amount: str) -> str:
    whole, cents = amount.split(".")
    return f"{int(whole):,}".replace(",", ".") + "," + cents


def test_english_formats(register: Path) -> None:
    html = _render(register, "html", "en")
    assert '<html lang="en">' in html and "7,585.05 EUR" in html and "1 July 2025" in html and "75.85%" in html
    assert "Annual delegation report 2025" in html


# -- changes, duties, findings ------------------------------------------------------------------

def test_revoked_grant_with_effective_date_and_revoking_decision(annual: dict[str, Any], register: Path) -> None:
    (rev,) = annual["changes"]["revoked"]
    assert (rev["grant"], rev["effective_from"], rev["by"]) == ("AD-1/2", "2025-07-01", "AD-9")
    g = next(g for g in annual["grants"] if g["id"] == "AD-1/2")
    assert (g["status"], g["valid_until"]) == ("revoked", "2025-06-30")
    html = _render(register, "html")
    revoked = html[html.index('<ul class="revoked">'):]
    revoked = revoked[:revoked.index("</ul>")]
    assert "AD-1/2" in revoked and "1 juli 2025" in revoked and "AD-9" in revoked
    assert "1 juli 2025" in _row(html, "AD-1/2") and "AD-9" in _row(html, "AD-1/2")


def test_new_and_expired_grants(annual: dict[str, Any]) -> None:
    assert [c["grant"] for c in annual["changes"]["expired"]] == ["AD-2/1"]
    assert annual["changes"]["expired"][0]["until"] == "2025-09-30"
    new = {c["grant"]: c["effective_from"] for c in annual["changes"]["new"]}
    assert new["AD-4/1"] == "2025-04-01" and new["CBS-1/1"] == "2025-01-01"


def test_duty_counts_follow_the_calendar(annual: dict[str, Any]) -> None:
    grants = {g["id"]: g for g in annual["grants"]}
    # Monthly, due the 10th: all twelve are missing by 15 January 2026.
    assert grants["AD-1/1"]["duties"] == {"done": 0, "late": 0, "missing": 12, "open": 0}
    # Quarterly for a grant revoked from 1 July: Q1 and Q2 only.
    assert grants["AD-1/2"]["duties"] == {"done": 0, "late": 0, "missing": 2, "open": 0}
    assert grants["AD-1/3"]["duties"] == {"done": 0, "late": 0, "missing": 0, "open": 0}


def test_done_and_late_duties_are_counted(register: Path, tmp_path: Path) -> None:
    db = tmp_path / "copy.db"
    db.write_bytes(register.read_bytes())
    with Registry.open(db) as reg:
        reg.duty_done("AD-1/1", "2025-M01", "2025-02-05", "NOTA-1")
        reg.duty_done("AD-1/1", "2025-M02", "2025-03-20", "NOTA-2")
        reg.duty_done("AD-4/1", "notify", "2025-04-30", "GR-2025-0044")
        data = reg.annual_report(2025, as_of="2026-01-15")
        early = reg.annual_report(2025, as_of="2026-01-05")  # December's list is due on 10 January
        later = reg.annual_report(2026, as_of="2026-01-05")
    g = next(g for g in data["grants"] if g["id"] == "AD-1/1")
    assert g["duties"] == {"done": 1, "late": 1, "missing": 10, "open": 0}
    assert next(g for g in early["grants"] if g["id"] == "AD-1/1")["duties"] == {"done": 1, "late": 1, "missing": 9, "open": 1}
    notify = next(f for f in data["findings"] if f["code"] == "NOTIFY_COUNCIL")
    assert notify["details"]["done_on"] == "2025-04-30" and "30 april 2025" in notify["text"]
    # The notice was given once; the next year's report still knows it.
    notify = next(f for f in later["findings"] if f["code"] == "NOTIFY_COUNCIL")
    assert notify["details"]["done_on"] == "2025-04-30"


def test_findings(annual: dict[str, Any]) -> None:
    found = {(f["code"], f["grant"] or f["decision"]) for f in annual["findings"]}
    assert ("VACANT_POSITION", "AD-1/4") in found  # nobody holds 'sec'
    assert ("MISSING_REPORTING_DUTY", "AD-1/3") in found
    assert ("REVIEW_OVERDUE", "CBS-1") in found  # decided 1 June 2023, every year
    assert ("ENDING_SOON", "AD-3/1") in found  # ends 15 February 2026
    assert ("NOTIFY_COUNCIL", "AD-4/1") in found  # DLB-283: the council must be informed
    assert ("ENDING_SOON", "AD-2/1") not in found and ("VACANT_POSITION", "AD-1/1") not in found
    vacant = next(f for f in annual["findings"] if f["code"] == "VACANT_POSITION")
    assert vacant["details"] == {"position": "sec", "from": "2025-01-01", "until": "2025-12-31"}


def test_the_tree_nests_subdelegations_under_their_parent(annual: dict[str, Any]) -> None:
    roots = {r["principal"]["id"]: r for r in annual["tree"]}
    assert list(roots) == ["college", "ad"]
    (cbs,) = roots["college"]["grants"]
    assert cbs["grant"] == "CBS-1/1" and [h["person"] for h in cbs["holders"]] == ["q-01"]
    below = {c["grant"]: c for c in cbs["children"]}
    assert set(below) == {"AD-1/1", "AD-1/2", "AD-1/3", "AD-1/4", "AD-2/1", "AD-3/1"}
    assert [h["name"] for h in below["AD-1/1"]["holders"]] == [SCRIPT]
    # Signing under DLB-283 does not come from the budget grant: the algemeen directeur holds it by law.
    assert [g["grant"] for g in roots["ad"]["grants"]] == ["AD-4/1"]


# -- escaping -----------------------------------------------------------------------------------

def test_markup_in_names_titles_and_reasons_is_escaped(register: Path) -> None:
    html = _render(register, "html")
    assert SCRIPT not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;b&gt;&amp;amp;&lt;/b&gt;" in html
    assert 'href="javascript:' not in html  # a source that is no web address is not a link
    assert "<script" not in html.lower()  # the report has no script at all
    md = _render(register, "md")
    assert SCRIPT not in md and "<img" not in md and "&lt;script&gt;alert(1)&lt;/script&gt;" in md
    assert json.loads(_render(register, "json"))["tree"][0]["grants"][0]["children"][0]["holders"][0]["name"] == SCRIPT


# -- periodic report ----------------------------------------------------------------------------

def test_period_report_lists_the_uses_of_the_grant_and_below(register: Path) -> None:
    with Registry.open(register) as reg:
        q1 = reg.period_report("CBS-1/1", "2025-Q1", on="2025-04-15")
        q3 = reg.period_report("AD-1/1", "2025-Q3")
        one = reg.period_report("AD-1/1", "BB-02")
    assert [u["reference"] for u in q1["uses"]] == ["BB-01"]
    assert q1["totals"] == {"uses": 1, "amount": "1234.56"}
    assert [(d["to"], d["due"], d["status"]) for d in q1["duties"]] == [("college", "2025-04-30", "due")]
    assert [u["reference"] for u in q3["uses"]] == ["BB-03"] and q3["budget_keys"] == [
        {"budget_key": "0119/6150000", "uses": 1, "amount": "250.50"}]
    assert [u["reference"] for u in one["uses"]] == ["BB-02"]
    r = cli("--db", register, "report", "--grant", "CBS-1/1", "--period", "2025", "--format", "csv")
    assert r.code == 0
    rows = list(csv.DictReader(io.StringIO(r.out)))
    assert [x["reference"] for x in rows] == ["BB-01", "BB-04", "BB-02", "BB-03", "BB-05"]
    assert sum(Decimal(x["amount"]) for x in rows) == Decimal("7585.05")
    r = cli("--db", register, "report", "--grant", "AD-1/1", "--period", "2025-M03", "--format", "html")
    assert r.code == 0 and "1.234,56 EUR" in r.out and "&lt;script&gt;" in r.out and SCRIPT not in r.out
    r = cli("--db", register, "report", "--grant", "AD-1/1", "--period", "2025-M03")
    assert r.code == 0 and "3 maart 2025" in r.out and "1.234,56 EUR" in r.out


# -- command line ---------------------------------------------------------------------------------

def test_report_writes_a_file_and_says_where(register: Path, tmp_path: Path) -> None:
    out = tmp_path / "rapport.html"
    r = cli("--db", register, "report", "--year", "2025", "--out", out)
    assert r.code == 0 and str(out) in r.out
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    r = cli("--db", register, "--json", "report", "--year", "2025", "--out", tmp_path / "r.csv")
    assert r.code == 0 and r.json["format"] == "csv"


@pytest.mark.parametrize("args, needle", [
    (["report"], "--year"),
    (["report", "--year", "2025", "--grant", "AD-1/1"], "--year"),
    (["report", "--grant", "AD-1/1", "--period", "2025-Q9"], "--period"),
    (["report", "--grant", "AD-9/9", "--period", "2025-Q1"], "AD-9/9"),
    (["report", "--year", "2025", "--out", "/nonexistent-dir/x.html"], "--out"),
    (["report", "--year", "twintig"], "--year"),
])
def test_report_input_errors(register: Path, args: list[str], needle: str) -> None:
    r = cli("--db", register, *args)
    assert r.code == 2 and needle in r.err and "Traceback" not in r.err


def test_amendments_are_entity_puts_for_existing_keys(example_db: Path, tmp_path: Path) -> None:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    # Decisions never change (a new one revokes the old); positions and appointments may.
    next(p for p in data["positions"] if p["id"] == "dh-techniek")["name"] = "Diensthoofd techniek en logistiek"
    next(a for a in data["appointments"] if a["person"] == "p-010")["until"] = date(2026, 12, 31)
    year = date.today().year
    with Registry.open(example_db) as reg:
        reg.load(write_yaml(tmp_path / "correctie.yaml", data))
        report = reg.annual_report(year)
    amended = report["changes"]["amended"]
    assert sorted((a["kind"], a["key"], a["file"]) for a in amended) == [
        ("appointment", "p-010@dh-secretariaat@2020-01-01", "correctie.yaml"), ("position", "dh-techniek", "correctie.yaml")]
    assert amended[0]["recorded_on"].startswith(str(year))


def test_attestations_are_counted_per_grant(example_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DELEGATIES_KEYS", str(tmp_path / "keys"))
    with Registry.open(example_db) as reg:
        if not hasattr(reg, "attest"):
            pytest.skip("attestations are not part of this build")
        reg.keys_new()
        answer = reg.check(actor="p-001", power=VERBINTENIS, on="2025-05-02", amount="1200", budget_key="0119/6140000",
                           unit="aankoop")
        reg.attest(answer)
        reg.attest(answer)
        report = reg.annual_report(date.today().year)
        grants = {g["id"]: g["attestations"] for g in report["grants"]}
        assert report["summary"]["attestations"] == 2
        assert grants["AD-2025-0007/1"] == 2 and grants["AD-2025-0011/1"] == 0
        assert reg.fsck() == []


def test_demo_report_writes_the_2025_report_in_the_current_directory(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    r = cli("demo")
    assert r.code == 0, r
    out = tmp_path / "delegaties-rapport-2025.html"
    assert out.exists() and f"Jaarrapport 2025 geschreven naar {out}" in r.out
    html = out.read_text(encoding="utf-8")
    assert "Jaarrapport delegaties 2025" in html and "Lokaal bestuur Voorbeeldegem" in html
    assert "16.000,00 EUR" in html  # the two uses of 8 000 EUR recorded by the demo


def test_the_bench_loader_keeps_fsck_valid_and_the_figures_exact(tmp_path: Path) -> None:
    from bench.bench_report import fill

    with Registry.init(tmp_path / "bench.db") as reg:
        reg.load(EXAMPLE)
        expected = fill(reg, 2000)
        assert reg.fsck() == []
        report = reg.annual_report(2025, as_of="2026-03-31")
    assert report["summary"]["uses"] == expected["uses"] == 2000
    assert Decimal(report["summary"]["amount"]) == Decimal(expected["cents"]).scaleb(-2)
    for g in report["grants"]:
        n, cents = expected["grants"].get(g["id"], (0, 0))
        assert (g["uses"], Decimal(g["amount"])) == (n, Decimal(cents).scaleb(-2)), g["id"]
        for k in g["budget_keys"]:
            n, cents = expected["keys"][(g["id"], k["budget_key"])]
            assert (k["uses"], Decimal(k["amount"])) == (n, Decimal(cents).scaleb(-2))
