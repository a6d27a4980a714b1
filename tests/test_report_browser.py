"""The HTML annual report in a real headless browser (Chromium from the distribution's packages).

Three runs of the Chromium command line: the report as written (console must stay silent: no
script errors, no blocked resources, no CSP violations), a copy with a measuring script admitted
by its hash in the report's own Content-Security-Policy (every section and the tree laid out,
no alert fired by injected markup), and a screenshot plus a PDF print of the report as written.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from registry import Registry
from tests.test_report import SCRIPT, build_register

INSTALL = "apt-get update && apt-get install -y chromium"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason=f"Chromium is not installed; install it with: {INSTALL}")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-default-browser-check", "--hide-scrollbars"]
SECTIONS = ("summary", "tree", "decisions", "grants", "changes", "duties", "findings")

PROBE = """
window.__problems = [];
window.alert = function (m) { window.__problems.push('alert: ' + m); };
window.addEventListener('error', function (e) {
  window.__problems.push('error: ' + (e.message || (e.target && (e.target.src || e.target.href)) || 'resource'));
}, true);
document.addEventListener('securitypolicyviolation', function (e) {
  window.__problems.push('csp: ' + e.violatedDirective + ' ' + e.blockedURI);
});
window.addEventListener('load', function () {
  var out = {problems: window.__problems, sections: {}};
  %SECTIONS%.forEach(function (id) {
    var el = document.getElementById(id);
    out.sections[id] = el ? Math.round(el.getBoundingClientRect().height) : -1;
  });
  var shown = function (sel) {
    return Array.prototype.filter.call(document.querySelectorAll(sel), function (e) {
      return e.getBoundingClientRect().height > 0; }).length;
  };
  out.roots = shown('ul.tree > li.root');
  out.grants = shown('ul.tree li.grant');
  out.persons = shown('ul.tree li.person');
  out.nested = shown('ul.tree li.grant li.grant');
  out.images = document.images.length;
  out.scripts = document.scripts.length;
  out.h1color = getComputedStyle(document.querySelector('h1')).color;
  out.title = document.title;
  var pre = document.createElement('pre');
  pre.id = 'probe-result';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
""".replace("%SECTIONS%", json.dumps(list(SECTIONS)))


def chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp / 'profile'}", *args], capture_output=True,
                          text=True, timeout=120)


@pytest.fixture(scope="module")
def report_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("browser")
    with Registry.open(build_register(tmp)) as reg:
        return reg.write_report(reg.annual_report(2025, as_of="2026-01-15"), "html", "nl", tmp / "rapport-2025.html")


def test_report_renders_every_section_and_the_tree(report_html: Path, tmp_path: Path) -> None:
    html = report_html.read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(PROBE.encode()).digest()).decode()
    csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    assert html.count(csp) == 1
    probed = html.replace(csp, csp + f"; script-src 'sha256-{digest}'").replace("<head>", f"<head>\n<script>{PROBE}</script>", 1)
    page = tmp_path / "probe.html"
    page.write_text(probed, encoding="utf-8")
    proc = chromium(tmp_path, "--virtual-time-budget=5000", "--dump-dom", page.as_uri())
    found = re.search(r'<pre id="probe-result">(.*?)</pre>', proc.stdout, re.S)
    assert found, f"the probe did not run: {proc.stderr[-2000:]}"
    result = json.loads(found.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
    assert result["problems"] == []
    assert all(result["sections"][s] > 40 for s in SECTIONS), result["sections"]
    assert result["roots"] == 2 and result["grants"] == 8 and result["nested"] == 6 and result["persons"] >= 5, result
    assert result["images"] == 0 and result["scripts"] == 1  # the probe; markup in names stayed text
    assert result["h1color"] == "rgb(11, 83, 148)"  # the inline stylesheet applies under the report's CSP
    assert result["title"].startswith("Jaarrapport delegaties 2025")
    dom = proc.stdout
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom and SCRIPT not in dom


def test_report_as_written_loads_without_console_messages(report_html: Path, tmp_path: Path) -> None:
    proc = chromium(tmp_path, "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000", "--dump-dom",
                    report_html.as_uri())
    assert "</html>" in proc.stdout
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    assert console == []
    assert all(f'id="{s}"' in proc.stdout for s in SECTIONS)


def test_first_page_screenshot_is_not_blank_and_the_report_prints(report_html: Path, tmp_path: Path) -> None:
    shot, pdf = tmp_path / "page1.png", tmp_path / "rapport.pdf"
    chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,1600", report_html.as_uri())
    width, height, pixels = decode_png(shot.read_bytes())
    assert (width, height) == (1200, 1600)
    colours = {pixels[i:i + 3] for i in range(0, len(pixels), 3 * 7)}
    ink = sum(1 for i in range(0, len(pixels), 3 * 101) if pixels[i:i + 3] != b"\xff\xff\xff")
    assert len(colours) > 20 and ink > len(pixels) // (3 * 101) // 20, (len(colours), ink)
    chromium(tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", report_html.as_uri())
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and len(re.findall(rb"/Type\s*/Page\b", data)) >= 2


def decode_png(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and RGB bytes of an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, chunks = 8, []
    width = height = depth = colour = interlace = 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _c, _f, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        elif kind == b"IEND":
            break
    assert depth == 8 and interlace == 0 and colour in (2, 6), (depth, colour, interlace)
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * bpp
    prev = bytearray(stride)
    out = bytearray()
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        _unfilter(kind, line, prev, bpp)
        out += line if bpp == 3 else b"".join(line[i:i + 3] for i in range(0, stride, 4))
        prev = line
    return width, height, bytes(out)


def _unfilter(kind: int, line: bytearray, prev: bytearray, bpp: int) -> None:
    if kind == 0:
        return
    if kind == 2:
        line[:] = bytes((a + b) & 255 for a, b in zip(line, prev, strict=True))
        return
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        if kind == 1:
            line[i] = (line[i] + left) & 255
        elif kind == 3:
            line[i] = (line[i] + (left + prev[i]) // 2) & 255
        else:  # Paeth
            up, corner = prev[i], prev[i - bpp] if i >= bpp else 0
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
