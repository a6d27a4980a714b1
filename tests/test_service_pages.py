"""The clerks' pages in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright):
login with a bearer token, "Wie mag dit tekenen?" and "Mag deze persoon dit?" answered with the
CLI's chains and reasons and links to the decisions' sources, all with JavaScript switched off; no
script on any page, hostile register text shown as text, the cookie HttpOnly, SameSite=Strict and
scoped to its administration."""

from __future__ import annotations

import shutil

import httpx
import pytest

from tests.helpers import EXAMPLE, VERBINTENIS, base_register, cli, decision, grant, import_file, write_yaml
from tests.service_helpers import new_token, serve

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed; apt-get install chromium")
HOSTILE = "<script>document.title='pwned'</script><img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pages")
    data = tmp / "registers"
    data.mkdir()
    import_file(data / "voorbeeldegem.db", EXAMPLE)
    hostile = base_register(decisions=[decision("CBS-X", "college", [grant("CBS-X/1", "ad")],
                                                source="javascript:alert(1)", title=HOSTILE)])
    hostile["persons"][0]["name"] = HOSTILE
    import_file(data / "proefgem.db", write_yaml(tmp / "proefgem.yaml", hostile))
    tokens = {a: new_token("--data-dir", data, "--administration", a, role="reader") for a in ("voorbeeldegem", "proefgem")}
    with serve("--data-dir", data, tmp=tmp) as server:
        yield server, data, tokens, tmp


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


def new_page(browser, problems: list[str], js: bool = False):
    context = browser.new_context(java_script_enabled=js, locale="nl-BE")
    page = context.new_page()
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return context, page


def login(page, server, admin: str, token: str) -> None:
    page.goto(f"{server.url}/t/{admin}/pages/who")
    assert "/login" in page.url
    page.fill("#token", token)
    page.click("button[type=submit]")


def test_login_and_who_may_sign(site, browser) -> None:
    server, data, tokens, tmp = site
    problems: list[str] = []
    context, page = new_page(browser, problems)
    login(page, server, "voorbeeldegem", tokens["voorbeeldegem"])
    assert page.url.endswith("/t/voorbeeldegem/pages/who") and page.locator("h1").inner_text() == "Wie mag dit tekenen?"
    (cookie,) = context.cookies()
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict" and cookie["path"] == "/t/voorbeeldegem/"
    page.select_option("#power", "medeondertekening")
    page.select_option("#document_type", "briefwisseling")
    page.select_option("#issuer", "college")
    page.fill("#on", "2025-06-01")
    page.click("form.question button[type=submit]")
    answers = page.locator("section.answer.allowed")
    expected = cli("--db", data / "voorbeeldegem.db", "--json", "who", "--power", "medeondertekening", "--on", "2025-06-01",
                   "--document-type", "briefwisseling", "--issuer", "college").json
    assert answers.count() == len(expected["persons"]) > 0
    for person, section in zip(expected["persons"], answers.all(), strict=True):
        assert person in section.locator("h2").inner_text()
    sources = {a.get_attribute("href") for a in page.locator("a.source").all()}
    assert "https://example.invalid/voorbeeldegem/besluiten/AD-2025-0020" in sources
    assert page.locator("script").count() == 0
    page.screenshot(path=str(tmp / "wie-mag-dit-tekenen.png"), full_page=True)
    assert not problems, problems
    context.close()


def test_may_this_person_do_this(site, browser) -> None:
    server, data, tokens, tmp = site
    problems: list[str] = []
    context, page = new_page(browser, problems)
    login(page, server, "voorbeeldegem", tokens["voorbeeldegem"])
    page.click("text=Mag deze persoon dit?")
    for amount, allowed in (("1200", True), ("9000", False)):
        page.select_option("#actor", "p-001")
        page.select_option("#power", VERBINTENIS)
        page.fill("#on", "2025-05-02")
        page.fill("#amount", amount)
        page.fill("#budget_key", "0119/6140000")
        page.select_option("#unit", "aankoop")
        page.click("form.question button[type=submit]")
        section = page.locator("section.answer")
        assert section.get_attribute("class") == f"answer {'allowed' if allowed else 'refused'}"
        text = cli("--db", data / "voorbeeldegem.db", "check", "--actor", "p-001", "--power", VERBINTENIS, "--on",
                   "2025-05-02", "--amount", amount, "--budget-key", "0119/6140000", "--unit", "aankoop").out
        if allowed:
            steps = [li.inner_text().removesuffix(" bron").strip() for li in page.locator("ol.chain > li").all()]
            assert steps and all(f"{i}. {s}" in text for i, s in enumerate(steps, 1)), (steps, text)
        else:
            codes = [c.inner_text() for c in page.locator("ul.reasons > li > code").all()]
            assert "AMOUNT_ABOVE_LIMIT" in codes and all(f"{c}:" in text for c in codes)
    page.screenshot(path=str(tmp / "mag-deze-persoon-dit.png"), full_page=True)
    assert not problems, problems
    context.close()


def test_hostile_register_text_stays_text(site, browser) -> None:
    server, _, tokens, _ = site
    problems: list[str] = []
    context, page = new_page(browser, problems, js=True)  # scripts on: the page must still run none
    login(page, server, "proefgem", tokens["proefgem"])
    page.goto(f"{server.url}/t/proefgem/pages/check?actor=q-01&power={VERBINTENIS}&on=2025-05-02")
    assert HOSTILE in page.locator("section.answer h2").inner_text()
    assert page.title() != "pwned" and page.locator("script").count() == 0 and page.locator("main img").count() == 0
    assert all(a.get_attribute("href") != "javascript:alert(1)" for a in page.locator("a").all())
    assert page.evaluate("document.cookie") == ""  # HttpOnly: not readable by any script
    context.close()


def test_cookies_stay_with_their_administration_and_logout(site, browser) -> None:
    server, _, tokens, _ = site
    problems: list[str] = []
    context, page = new_page(browser, problems)
    login(page, server, "voorbeeldegem", tokens["voorbeeldegem"])
    page.goto(f"{server.url}/t/proefgem/pages/who")
    assert "/t/proefgem/login" in page.url  # the cookie of voorbeeldegem is not sent here
    page.fill("#token", tokens["voorbeeldegem"])
    page.click("button[type=submit]")
    assert page.locator(".error").count() == 1 and "/login" in page.url
    page.goto(f"{server.url}/t/voorbeeldegem/pages/who")
    page.click("text=Afmelden")
    assert "/t/voorbeeldegem/login" in page.url and context.cookies() == []
    page.goto(f"{server.url}/t/voorbeeldegem/pages/check")
    assert "/login" in page.url
    context.close()


def test_login_form_from_another_origin_is_refused(site) -> None:
    server, _, tokens, _ = site
    r = httpx.post(f"{server.url}/t/voorbeeldegem/login", data={"token": tokens["voorbeeldegem"]},
                   headers={"Origin": "http://evil.invalid"})
    assert r.status_code == 403 and "set-cookie" not in r.headers
    r = httpx.post(f"{server.url}/t/voorbeeldegem/login", data={"token": tokens["voorbeeldegem"]})
    assert r.status_code == 403  # neither Origin nor Referer: refused too
    page = httpx.get(f"{server.url}/t/voorbeeldegem/login")
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp and "form-action 'self'" in csp
    assert httpx.get(f"{server.url}/t/voorbeeldegem/pages/who", cookies={"delegaties_token": tokens["voorbeeldegem"]}
                     ).status_code == 200
    # the cookie opens the pages only, never the JSON API
    assert httpx.post(f"{server.url}/t/voorbeeldegem/v1/check", json={"actor": "p-001", "power": VERBINTENIS},
                      cookies={"delegaties_token": tokens["voorbeeldegem"]}).status_code == 401
