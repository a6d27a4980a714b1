"""The figures behind the annual report's charts, and the charts' geometry (no browser needed)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from registry import Registry, charts
from tests.test_report import USES, build_register

LABELS = {"organ": "orgaan", "position": "functie", "person": "persoon", "titular": "titularis", "acting": "waarnemend",
          "revoked": "ingetrokken", "expired": "verlopen"}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    with Registry.open(build_register(tmp_path_factory.mktemp("charts"))) as reg:
        return reg.annual_report(2025, as_of="2026-01-15")


def test_uses_per_month_are_counted_per_grant_of_the_chain(report: dict[str, Any]) -> None:
    by_id = {e["id"]: e for e in report["grants"]}
    expected: dict[str, list[int]] = {}
    for ref, _actor, on, _amount, _key in USES:
        if not on.startswith("2025"):
            continue
        for gid in by_id:
            if ref in _refs_of(gid):
                expected.setdefault(gid, [0] * 12)[int(on[5:7]) - 1] += 1
    for gid, e in by_id.items():
        assert sum(e["uses_by_month"]) == e["uses"], gid
        assert e["uses_by_month"] == expected.get(gid, [0] * 12), gid


def _refs_of(gid: str) -> set[str]:
    # test_report.EXPECTED: AD-1/1 holds q-03's orders, AD-1/2 q-06's, CBS-1/1 every order below the AD
    return {"AD-1/1": {"BB-01", "BB-02", "BB-03"}, "AD-1/2": {"BB-04"},
            "CBS-1/1": {"BB-01", "BB-02", "BB-03", "BB-04", "BB-05"}}.get(gid, set())


def test_ceiling_bars_are_as_long_as_the_share_used_and_stop_at_the_ceiling(report: dict[str, Any]) -> None:
    r = copy.deepcopy(report)
    with_ceiling = [e for e in r["grants"] if e["annual_ceiling"]]
    assert with_ceiling
    with_ceiling[0]["ceiling_used_pct"] = "150.00"
    chart = charts.ceilings(r)
    assert chart is not None and [b.grant for b in chart.rows] == [e["id"] for e in with_ceiling]
    for b, e in zip(chart.rows, with_ceiling, strict=True):
        share = float(e["ceiling_used_pct"])
        assert b.width == pytest.approx(chart.track * min(share, 100) / 100)
        assert b.over == (share > 100)
    assert chart.rows[0].width == chart.track and chart.rows[0].over
    assert chart.height >= chart.rows[-1].y + chart.bar
    assert charts.ceilings({**r, "grants": [e for e in r["grants"] if not e["annual_ceiling"]]}) is None


def test_month_bars_share_one_scale(report: dict[str, Any]) -> None:
    chart = charts.months(report, "nl")
    assert chart is not None and [m for _x, m in chart.months][2] == "mrt"
    cells = [c for row in chart.rows for c in row.cells]
    assert max(c.h for c in cells) == pytest.approx(24) and chart.peak == max(c.n for c in cells)
    assert all(c.h == pytest.approx(24 * c.n / chart.peak) for c in cells)
    assert [m for _x, m in charts.months(report, "en").months][2] == "Mar"


def test_the_tree_diagram_places_every_box_once_without_overlap(report: dict[str, Any]) -> None:
    chart = charts.tree(report, LABELS)
    assert chart is not None
    grants = [n for n in chart.nodes if n.kind == "grant"]
    assert sorted(n.label for n in grants) == sorted(e["id"] for e in report["grants"])
    assert sum(n.kind == "person" for n in chart.nodes) == sum(len(e["holders"]) for e in report["grants"])
    for i, a in enumerate(chart.nodes):
        assert 0 <= a.x and a.x + a.w <= chart.width and 0 <= a.y and a.y + a.h <= chart.height
        for b in chart.nodes[i + 1:]:
            assert a.x + a.w <= b.x or b.x + b.w <= a.x or a.y + a.h <= b.y or b.y + b.h <= a.y, (a, b)
    by_key = {n.key: n for n in chart.nodes}
    for e in chart.edges:  # every edge goes one column to the right, from a parent to its child
        parent, child = by_key[e.parent], by_key[e.child]
        assert child.x - parent.x == pytest.approx(charts.COLUMN) and e.child.startswith(e.parent + "/")
    children: dict[str, list] = {}
    for e in chart.edges:
        children.setdefault(e.parent, []).append(by_key[e.child].y)
    for key, ys in children.items():  # a parent sits level with the middle of its children
        assert by_key[key].y == pytest.approx((min(ys) + max(ys)) / 2)
    revoked = [n for n in grants if n.status == "revoked"]
    assert revoked and all(n.sub.startswith("ingetrokken") for n in revoked)


def test_long_labels_are_clipped_with_the_full_text_kept(report: dict[str, Any]) -> None:
    assert charts.clip("Vormingsverantwoordelijke", 10) == "Vormingsv…" and charts.clip("kort", 10) == "kort"
    chart = charts.tree(report, LABELS)
    assert all(len(n.label) <= 20 and len(n.sub) <= 25 for n in chart.nodes)
    clipped = [(text, n.title) for n in chart.nodes for text in (n.label, n.sub) if text.endswith("…")]
    assert len(clipped) >= 3  # long (and hostile) names in this register
    assert all(text[:-1].split("→ ")[-1] in title for text, title in clipped)


def test_an_empty_year_has_no_charts(tmp_path: Path) -> None:
    with Registry.init(tmp_path / "leeg.db") as reg:
        report = reg.annual_report(2025, as_of="2026-01-15")
        assert charts.annual(report, "nl") == {"ceilings": None, "months": None, "tree": None}
        html = reg.render_report(report, "html", "nl")
        assert "<svg" not in html and 'id="tree"' in html
