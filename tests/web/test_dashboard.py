"""End to end in headless Chromium: sign in, filter, open and escalate an alert, see the map
draw its features, switch language, and check that a PE analyst cannot open a CO record."""

from __future__ import annotations

from pathlib import Path


ARTIFACTS = Path(__file__).parent / "artifacts"
PASSWORD = "correct-horse-battery"


def sign_in(browser, base: str, user: str):
    # The app's CSP forbids eval; Playwright's wait_for_function needs it, so only the test bypasses it.
    page = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{base}/#/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login button[type=submit]")
    page.wait_for_selector("#scope")
    page.errors = errors
    return page


def test_supervisor_filters_opens_escalates_and_maps(browser, live_server: str) -> None:
    page = sign_in(browser, live_server, "super")
    page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)
    page.click("#nav a[href='#/alerts']")
    page.wait_for_selector("#alerts tr.row")
    page.select_option("select[name=country]", "PE")
    page.fill("input[name=typology]", "unlicensed_disturbance")
    page.click("#filters button[type=submit]")
    # Wait for the filtered list itself: the unfiltered rows are still on screen for a moment after submitting.
    page.wait_for_function("(() => { const c = [...document.querySelectorAll('#alerts tr.row td:nth-child(4)')];"
                           " return location.hash.includes('country=PE') && c.length > 0"
                           " && c.every(t => t.textContent === 'PE'); })()")
    countries = page.eval_on_selector_all("#alerts tr.row td:nth-child(4)", "tds => tds.map(t => t.textContent)")
    assert countries and set(countries) == {"PE"}
    page.screenshot(path=str(ARTIFACTS / "alerts.png"), full_page=True)
    page.click("#alerts tr.row")
    page.wait_for_selector("#triage")
    page.select_option("#triage select[name=status]", "escalated")
    page.fill("#triage input[name=note]", "scar outside every right; ask OEFA")
    page.click("#triage button[type=submit]")
    page.wait_for_function("document.querySelector('#triage-msg')?.textContent.length > 0")
    assert page.eval_on_selector("#triage select[name=status]", "s => s.value") == "escalated"
    assert "ask OEFA" in page.inner_text("#view")
    page.screenshot(path=str(ARTIFACTS / "alert.png"), full_page=True)
    page.click("text=Show on map")
    page.wait_for_function("Number(document.querySelector('#map')?.dataset.features || 0) > 0", timeout=20000)
    paths = page.eval_on_selector_all("#map path.leaflet-interactive", "p => p.length")
    assert paths > 0
    page.screenshot(path=str(ARTIFACTS / "map.png"))
    page.click("#lang")
    page.wait_for_function("document.querySelector('#nav a[href=\"#/map\"]').textContent === 'Mapa'")
    assert not page.errors, page.errors
    page.close()


def test_pe_analyst_cannot_open_a_co_alert(browser, live_server: str) -> None:
    import httpx

    with httpx.Client(base_url=live_server) as client:
        client.post("/api/login", json={"username": "super", "password": PASSWORD}).raise_for_status()
        co = client.get("/api/alerts", params={"country": "CO"}).json()["items"][0]["alert_id"]
    page = sign_in(browser, live_server, "ana_pe")
    page.goto(f"{live_server}/#/alerts")
    page.wait_for_selector("#alerts tr.row")
    shown = page.eval_on_selector_all("#alerts tr.row td:nth-child(4)", "tds => tds.map(t => t.textContent)")
    assert set(shown) == {"PE"}
    page.goto(f"{live_server}/#/alert/{co}")
    page.wait_for_selector("#error")
    assert "PE" in page.inner_text("#error")
    page.screenshot(path=str(ARTIFACTS / "forbidden.png"))
    page.close()


