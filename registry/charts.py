"""Geometry of the annual report's inline SVG charts, computed from the report's own figures.

Three charts: the share of each yearly ceiling used, the uses per month per grant, and the
delegation tree as a diagram from organ to person. Only positions and labels are decided here;
the templates draw them (no scripts: the report's Content-Security-Policy stays as it is).
Coordinates are SVG user units; each chart scales to the page width through its viewBox.
"""

from __future__ import annotations

from typing import Any

from attrs import frozen

from delegations.texts import month_abbreviations

WIDTH = 720
LEFT, LABEL = 250.0, 34  # the label column of the bar charts, and the characters that fit in it (11 px)


def clip(text: str, size: int) -> str:
    """SVG text does not wrap: long labels are cut (the full text is in the element's <title>)."""
    return text if len(text) <= size else text[: size - 1] + "…"


# -- share of each yearly ceiling used -------------------------------------------------------

@frozen
class Bar:
    grant: str
    label: str
    title: str
    y: float
    width: float  # of the filled part; the track is `BarChart.track` wide
    pct: str  # as in the report, e.g. "12.34"
    over: bool  # more than the ceiling was used (the bar stops at the end of the track)


@frozen
class BarChart:
    width: float
    height: float
    left: float  # x where the track starts
    track: float
    row: float
    bar: float
    rows: tuple[Bar, ...]
    ticks: tuple[tuple[float, int], ...]  # (x, percent)


def ceilings(report: dict[str, Any]) -> BarChart | None:
    grants = [e for e in report["grants"] if e["annual_ceiling"] is not None]
    if not grants:
        return None
    left, track, row, bar, top = LEFT, 380.0, 26.0, 14.0, 22.0
    rows = []
    for i, e in enumerate(grants):
        share = float(e["ceiling_used_pct"] or 0)
        title = f"{e['id']} → {e['to']['name']}"
        rows.append(Bar(e["id"], clip(title, LABEL), title, top + i * row, track * min(share, 100.0) / 100.0,
                        e["ceiling_used_pct"] or "0.00", share > 100.0))
    ticks = tuple((left + track * p / 100.0, p) for p in (0, 25, 50, 75, 100))
    return BarChart(WIDTH, top + len(rows) * row + 6, left, track, row, bar, tuple(rows), ticks)


# -- uses per month per grant ----------------------------------------------------------------

@frozen
class Cell:
    month: int  # 1..12
    x: float
    y: float
    w: float
    h: float
    n: int


@frozen
class MonthRow:
    grant: str
    label: str
    title: str
    y: float  # baseline of the bars
    total: int
    cells: tuple[Cell, ...]


@frozen
class MonthChart:
    width: float
    height: float
    left: float
    column: float
    months: tuple[tuple[float, str], ...]  # (x of the column's centre, abbreviation)
    rows: tuple[MonthRow, ...]
    peak: int  # the largest monthly count: the full bar height


def months(report: dict[str, Any], lang: str) -> MonthChart | None:
    grants = [e for e in report["grants"] if sum(e.get("uses_by_month", ())) > 0]
    if not grants:
        return None
    left, column, row, tall, top = LEFT, 35.0, 36.0, 24.0, 22.0
    peak = max(max(e["uses_by_month"]) for e in grants)
    rows = []
    for i, e in enumerate(grants):
        base = top + (i + 1) * row - 6
        cells = tuple(Cell(m + 1, left + m * column + 5, base - tall * n / peak, column - 10, tall * n / peak, n)
                      for m, n in enumerate(e["uses_by_month"]))
        title = f"{e['id']} → {e['to']['name']}"
        rows.append(MonthRow(e["id"], clip(title, LABEL), title, base, sum(e["uses_by_month"]), cells))
    months = month_abbreviations(lang)
    heads = tuple((left + m * column + column / 2, months[m]) for m in range(12))
    return MonthChart(WIDTH, top + len(rows) * row + 8, left, column, heads, tuple(rows), peak)


# -- the delegation tree, from organ to person -------------------------------------------------

@frozen
class Node:
    key: str
    kind: str  # organ | grant | person
    label: str
    sub: str
    title: str
    status: str | None  # of a grant: in_force, revoked, expired
    x: float
    y: float
    w: float
    h: float


@frozen
class Edge:
    parent: str
    child: str
    d: str  # SVG path: from the parent's right edge to the child's left edge


@frozen
class TreeChart:
    width: float
    height: float
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]


COLUMN, BOX_W, BOX_H, PITCH, PAD = 180.0, 164.0, 36.0, 44.0, 6.0


@frozen
class _Item:
    key: str
    kind: str
    label: str
    sub: str
    title: str
    status: str | None
    children: tuple[_Item, ...]


def _items(report: dict[str, Any], labels: dict[str, str]) -> list[_Item]:
    def person(h: dict[str, Any], path: str) -> _Item:
        sub = ", ".join(x for x in (h["person"], labels.get(h["capacity"] or "", "")) if x)
        return _Item(f"{path}/{h['person']}@{h.get('position') or ''}@{h.get('from') or ''}", "person", h["name"], sub,
                     f"{h['name']} ({sub})", None, ())

    def grant(n: dict[str, Any], path: str) -> _Item:
        key, to = f"{path}/{n['grant']}", n["to"]
        kids = tuple(grant(c, key) for c in n["children"]) + tuple(person(h, key) for h in n["holders"])
        title = f"{n['grant']} ({n['decision']}) → {to['name']} ({to['id']}): {', '.join(n['powers'])}"
        # A grant no longer in force says so first, where clipping never hides it.
        sub = f"→ {to['name']}" if n["status"] == "in_force" else f"{labels.get(n['status'], n['status'])} · → {to['name']}"
        return _Item(key, "grant", n["grant"], sub, title, n["status"], kids)

    out = []
    for i, root in enumerate(report["tree"]):
        p = root["principal"]
        key = f"root{i}:{p['id']}"
        out.append(_Item(key, "organ", p["name"], labels.get(p["kind"], p["kind"]), f"{p['name']} ({p['id']})", None,
                         tuple(grant(n, key) for n in root["grants"])))
    return out


def tree(report: dict[str, Any], labels: dict[str, str]) -> TreeChart | None:
    """Organs at the left, each grant one column to the right of what it hangs below, the persons
    who held the receiving position in the year right of their grant. Leaves take one row each
    (in the report's order); a parent sits level with the middle of its children."""
    roots = _items(report, labels)
    if not roots:
        return None
    nodes: list[Node] = []
    edges: list[Edge] = []
    rows, deepest = 0, 0

    def place(item: _Item, depth: int) -> float:
        nonlocal rows, deepest
        deepest = max(deepest, depth)
        ys = [place(c, depth + 1) for c in item.children]
        if ys:
            y = (ys[0] + ys[-1]) / 2
        else:
            y, rows = PAD + rows * PITCH, rows + 1
        x = PAD + depth * COLUMN
        nodes.append(Node(item.key, item.kind, clip(item.label, 20), clip(item.sub, 25), item.title, item.status,
                          x, y, BOX_W, BOX_H))
        for c, cy in zip(item.children, ys, strict=True):
            x1, y1, x2, y2 = x + BOX_W, y + BOX_H / 2, x + COLUMN, cy + BOX_H / 2
            mid = (x1 + x2) / 2
            edges.append(Edge(item.key, c.key, f"M{x1:.1f},{y1:.1f} C{mid:.1f},{y1:.1f} {mid:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"))
        return y

    for root in roots:
        place(root, 0)
    return TreeChart(PAD * 2 + deepest * COLUMN + BOX_W, PAD + rows * PITCH - (PITCH - BOX_H) + PAD,
                     tuple(nodes), tuple(edges))


def annual(report: dict[str, Any], lang: str) -> dict[str, Any]:
    """Every chart of an annual report (None where there is nothing to draw)."""
    from .reports import label

    labels = {k: label(k, lang) for k in ("organ", "position", "person", "titular", "acting", "revoked", "expired")}
    return {"ceilings": ceilings(report), "months": months(report, lang), "tree": tree(report, labels)}
