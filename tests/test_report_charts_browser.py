"""The annual report's inline SVG charts and wide tables in a real headless Chromium.

The report as written must load without a console message (no script, the CSP unchanged); a copy
with a measuring script admitted by its hash in the report's own CSP reads what the browser laid
out: the charts' bounding boxes, the bars against the figures they stand for, the tree's boxes
(one per grant, organ and holder, none overlapping), and that nothing is wider than the page, at
A4 width on screen and with the print stylesheet applied at the width of an A4 page's print area.
Screenshots and a PDF are written to the test's output folder (printed with -s).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from registry import Registry
from tests.helpers import EXAMPLE, VERBINTENIS
from tests.test_report import build_register
from tests.test_report_browser import CHROMIUM, chromium, decode_png

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
A4_SCREEN = 794  # 210 mm at 96 px per inch
A4_PRINT = 703  # 210 mm minus the 12 mm side margins of the report's @page

PROBE = """
window.__problems = [];
document.addEventListener('securitypolicyviolation', function (e) { window.__problems.push('csp: ' + e.violatedDirective); });
window.addEventListener('error', function (e) { window.__problems.push('error: ' + e.message); }, true);
window.addEventListener('load', function () {
  var box = function (el) { var r = el.getBoundingClientRect();
    return {x: r.left, y: r.top, w: r.width, h: r.height, right: r.right, bottom: r.bottom}; };
  var all = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };
  var out = {problems: window.__problems, width: window.innerWidth,
             scroll: document.documentElement.scrollWidth, charts: {}, wraps: [], tables: []};
  all('figure.chart').forEach(function (f) {
    var svg = f.querySelector('svg');
    out.charts[f.id] = {box: box(svg), font: parseFloat(getComputedStyle(svg.querySelector('text')).fontSize),
      bars: all('rect.bar', svg).map(function (r) { return {pct: parseFloat(r.dataset.pct), w: box(r).w}; }),
      track: all('rect.track', svg).map(function (r) { return box(r).w; }),
      cells: all('rect.cell', svg).map(function (r) { return {n: parseInt(r.dataset.n), h: box(r).h}; }),
      nodes: all('g.node', svg).map(function (g) { var b = box(g.querySelector('rect'));
        b.kind = g.getAttribute('class'); b.key = g.dataset.key;
        b.text = Math.max.apply(null, all('text', g).map(function (t) { return box(t).right; })); return b; }),
      inside: all('rect, text, path', svg).every(function (e) { var b = box(e), s = box(svg);
        return b.x >= s.x - 1 && b.right <= s.right + 1 && b.y >= s.y - 1 && b.bottom <= s.bottom + 1; })};
  });
  all('.table-wrap').forEach(function (w) { out.wraps.push([w.scrollWidth, w.clientWidth]); });
  all('table').forEach(function (t) { out.tables.push(box(t).right); });
  var pre = document.createElement('pre');
  pre.id = 'probe-result';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
"""


def probe(html: str, tmp: Path, width: int, name: str, print_css: bool = False) -> dict[str, Any]:
    digest = base64.b64encode(hashlib.sha256(PROBE.encode()).digest()).decode()
    assert html.count(CSP) == 1
    page = html.replace(CSP, CSP + f"; script-src 'sha256-{digest}'").replace("<head>", f"<head>\n<script>{PROBE}</script>", 1)
    if print_css:  # the print stylesheet, laid out on screen at the width of the paper's print area
        page = page.replace("@media print", "@media all")
    path = tmp / f"{name}.html"
    path.write_text(page, encoding="utf-8")
    proc = chromium(tmp, "--virtual-time-budget=5000", f"--window-size={width},1200", "--dump-dom", path.as_uri())
    found = re.search(r'<pre id="probe-result">(.*?)</pre>', proc.stdout, re.S)
    assert found, f"the probe did not run: {proc.stderr[-2000:]}"
    return json.loads(found.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report-charts")
    print(f"\nscreenshots and PDF in {path}")
    return path


@pytest.fixture(scope="module")
def proefgem(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("proefgem")
    with Registry.open(build_register(tmp)) as reg:
        report = reg.annual_report(2025, as_of="2026-01-15")
        return reg.write_report(report, "html", "nl", tmp / "rapport-2025.html"), report


@pytest.fixture(scope="module")
def voorbeeldegem(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The example with a year of uses: four orders of the head of purchasing and one of the acting
    head of the technical service."""
    tmp = tmp_path_factory.mktemp("voorbeeldegem")
    with Registry.init(tmp / "r.db") as reg:
        reg.load(EXAMPLE)
        for ref, actor, on, amount, key, unit in (
                ("BB-1", "p-001", "2025-03-04", "8000", "0119/6140000", "aankoop"),
                ("BB-2", "p-001", "2025-05-05", "1200", "0119/6140000", "aankoop"),
                ("BB-3", "p-001", "2025-05-07", "300", "0119/6140000", "aankoop"),
                ("BB-4", "p-001", "2025-08-04", "8000", "0119/6140000", "aankoop"),
                ("BB-5", "p-011", "2025-09-10", "2000", "0200/6100000", "techniek")):
            assert reg.record_use(reg.check(actor, VERBINTENIS, on, amount=amount, budget_key=key, unit=unit), ref).allowed
        report = reg.annual_report(2025, as_of="2026-01-15")
        return reg.write_report(report, "html", "nl", tmp / "jaarrapport-2025.html"), report


def test_the_charts_show_the_figures_of_the_report(voorbeeldegem: tuple[Path, dict[str, Any]], out_dir: Path) -> None:
    path, report = voorbeeldegem
    result = probe(path.read_text(encoding="utf-8"), out_dir, A4_SCREEN, "voorbeeldegem-probe")
    assert result["problems"] == []
    charts = result["charts"]
    assert set(charts) == {"chart-ceilings", "chart-months", "chart-tree"}
    for name, c in charts.items():
        assert c["inside"], name  # nothing drawn outside its own box
        assert 400 <= c["box"]["w"] <= A4_SCREEN and c["box"]["h"] >= 40, (name, c["box"])
        assert c["font"] >= 9, name
    # Bars: as long as the share of the ceiling (of the track's length), one per grant with a ceiling.
    ceilings = {e["id"]: float(e["ceiling_used_pct"]) for e in report["grants"] if e["annual_ceiling"]}
    bars = charts["chart-ceilings"]["bars"]
    track = charts["chart-ceilings"]["track"][0]
    assert sorted(b["pct"] for b in bars) == sorted(ceilings.values())
    assert ceilings["AD-2025-0007/1"] == 87.5  # 17 500 of 20 000 EUR
    for b in bars:
        assert abs(b["w"] - track * min(b["pct"], 100) / 100) <= 1, b
    # Months: one bar per month with uses; heights in proportion to the counts.
    cells = charts["chart-months"]["cells"]
    counts = [n for e in report["grants"] for n in e["uses_by_month"] if n]
    assert sorted(c["n"] for c in cells) == sorted(counts)
    unit = max(c["h"] for c in cells) / max(c["n"] for c in cells)
    assert all(abs(c["h"] - c["n"] * unit) <= 0.6 for c in cells), cells
    # The tree: a box per organ, per grant in force in the year and per holder; none overlap.
    nodes = charts["chart-tree"]["nodes"]
    kinds = [n["kind"].split()[1] for n in nodes]
    assert kinds.count("node-organ") == len(report["tree"])
    assert kinds.count("node-grant") == len(report["grants"])
    assert kinds.count("node-person") == sum(len(e["holders"]) for e in report["grants"])
    assert all(n["text"] <= n["right"] for n in nodes), [n for n in nodes if n["text"] > n["right"]]  # labels fit their box
    for i, a in enumerate(nodes):
        for b in nodes[i + 1:]:
            assert a["right"] <= b["x"] or b["right"] <= a["x"] or a["bottom"] <= b["y"] or b["bottom"] <= a["y"], (a, b)
    # Organ -> grant -> ... -> person, from left to right.
    organ_x = max(n["x"] for n in nodes if "node-organ" in n["kind"])
    assert all(n["x"] > organ_x for n in nodes if "node-organ" not in n["kind"])


@pytest.mark.parametrize("which", ["voorbeeldegem", "proefgem"])
@pytest.mark.parametrize(("width", "print_css"), [(A4_SCREEN, False), (A4_PRINT, True)])
def test_nothing_is_wider_than_an_a4_page(which: str, width: int, print_css: bool, request: pytest.FixtureRequest,
                                          out_dir: Path) -> None:
    path, _report = request.getfixturevalue(which)
    result = probe(path.read_text(encoding="utf-8"), out_dir, width, f"{which}-{width}", print_css)
    assert result["problems"] == []
    assert result["width"] == width
    assert result["scroll"] <= width, result["scroll"]  # no horizontal scrolling of the page
    assert all(right <= width + 0.5 for right in result["tables"]), result["tables"]
    assert all(scroll <= client + 1 for scroll, client in result["wraps"]), result["wraps"]  # nothing hidden behind a scrollbar
    assert all(c["box"]["right"] <= width + 0.5 for c in result["charts"].values())


def test_the_report_with_charts_loads_silently_and_prints(voorbeeldegem: tuple[Path, dict[str, Any]], out_dir: Path) -> None:
    path, _report = voorbeeldegem
    html = path.read_text(encoding="utf-8")
    assert html.count(CSP) == 1 and "<script" not in html.lower()
    proc = chromium(out_dir, "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000", "--dump-dom", path.as_uri())
    assert "</html>" in proc.stdout and [x for x in proc.stderr.splitlines() if ":CONSOLE" in x] == []
    shot = out_dir / "jaarrapport-2025-a4.png"
    chromium(out_dir, f"--screenshot={shot}", f"--window-size={A4_SCREEN},2200", path.as_uri())
    width, height, pixels = decode_png(shot.read_bytes())
    assert (width, height) == (A4_SCREEN, 2200)
    # The charts are drawn: the accent colour of the bars covers a real area of the page.
    accent = sum(1 for i in range(0, len(pixels), 3) if pixels[i:i + 3] == b"\x0b\x53\x94")
    assert accent > 2000, accent
    pdf = out_dir / "jaarrapport-2025.pdf"
    chromium(out_dir, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", path.as_uri())
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and len(re.findall(rb"/Type\s*/Page\b", data)) >= 2


@pytest.mark.parametrize(("width", "print_css"), [(A4_SCREEN, False), (A4_PRINT, True)])
def test_the_what_if_page_fits_an_a4_page_and_loads_silently(example_template: Path, tmp_path: Path, out_dir: Path,
                                                              width: int, print_css: bool) -> None:
    from registry.whatif import diff_files
    from tests.helpers import REPO, copy_register

    with Registry.open(copy_register(example_template, tmp_path / "r.db")) as reg:
        d = diff_files(reg, REPO / "examples" / "ontwerpen" / "AD-2025-0040-budgethouder-aankoop.yaml")
        page = reg.write_report(d.to_dict("nl"), "html", "nl", out_dir / "gevolgen-AD-2025-0040.html", force=True)
    html = page.read_text(encoding="utf-8")
    proc = chromium(tmp_path, "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000", "--dump-dom", page.as_uri())
    assert 'id="gained"' in proc.stdout and [x for x in proc.stderr.splitlines() if ":CONSOLE" in x] == []
    result = probe(html, tmp_path, width, f"gevolgen-{width}", print_css)
    assert result["problems"] == [] and result["scroll"] <= width
    assert all(right <= width + 0.5 for right in result["tables"]) and len(result["tables"]) == 2  # gained and lost
    assert all(scroll <= client + 1 for scroll, client in result["wraps"])
    shot = out_dir / f"gevolgen-AD-2025-0040-{width}.png"
    chromium(tmp_path, f"--screenshot={shot}", f"--window-size={width},1400", page.as_uri())
    assert decode_png(shot.read_bytes())[:2] == (width, 1400)
