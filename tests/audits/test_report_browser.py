"""The report in a real browser: headless Chromium driven by Selenium, with no network.

Needs Debian's ``chromium`` and ``chromium-driver`` (``/usr/bin/chromium``,
``/usr/bin/chromedriver``) and the ``selenium`` package. Without them the test is
skipped locally, and fails when the ``CI`` environment variable is set, so CI cannot
pass by not running it.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import shutil
from pathlib import Path

import pytest

from audits.report import write_report

SAMPLE = Path(__file__).parents[1] / "data" / "report_results.json"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
)


def _missing() -> str | None:
    """Why the browser cannot run here, or None."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        return (
            f"{CHROMIUM} or {CHROMEDRIVER} is missing (apt-get install -y chromium chromium-driver)"
        )
    if shutil.which(str(CHROMIUM)) is None:
        return f"{CHROMIUM} is not executable"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium package is missing (pip install selenium)"
    return None


@pytest.fixture
def browser(tmp_path):
    reason = _missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"browser test cannot run in CI: {reason}")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def test_report_renders_cleanly_in_chromium(browser, tmp_path):
    from selenium.webdriver.common.by import By

    results = json.loads(SAMPLE.read_text(encoding="utf-8"))
    later = copy.deepcopy(results)
    later["run"].update(started="2025-01-07T06:00:00+00:00", finished="2025-01-07T06:01:00+00:00")
    later["overview"]["n_rows"] = 900
    write_report(results, tmp_path / "out")
    page = write_report(later, tmp_path / "out")  # two runs: the trend section is shown

    browser.get(page.resolve().as_uri())
    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == []

    headline = browser.find_element(By.CSS_SELECTOR, "#verdict .headline")
    assert headline.is_displayed() and headline.text.startswith("Needs attention")
    headings = {h.text: h.is_displayed() for h in browser.find_elements(By.TAG_NAME, "h2")}
    expected = {
        "Dataset overview",
        "Data quality",
        "Labels",
        "Class balance",
        "Drift",
        "All checks",
        "Trend across runs",
        "Run",
    }
    assert expected <= set(headings) and all(headings.values())
    sizes = browser.execute_script(
        "return [...document.querySelectorAll('svg.plot')].map(s => {"
        "const r = s.getBoundingClientRect(); return [r.width, r.height]; });"
    )
    assert len(sizes) >= 6
    assert all(w > 100 and h > 50 for w, h in sizes), sizes
    assert browser.execute_script("return document.scripts.length") == 0

    pdf = base64.b64decode(browser.print_page())  # the print style sheet lays it out
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000
    (tmp_path / "report.pdf").write_bytes(pdf)

    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, min(height + 50, 16000))
    shot = tmp_path / "report.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
