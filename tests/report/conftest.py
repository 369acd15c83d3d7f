"""Headless Debian Chromium for the report tests: one way to start it, one check that a page stays offline."""
from __future__ import annotations

import json
import os

import pytest


@pytest.fixture()
def headless_chrome(chromium, tmp_path):
    """Factory ``(width, height, *flags) -> selenium driver`` logging console and network; quit after the test."""
    os.environ["SE_OFFLINE"] = "1"  # never let Selenium Manager download anything
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    drivers = []

    def start(width: int, height: int, *flags: str):
        opts = webdriver.ChromeOptions()
        browser, chromedriver = chromium
        opts.binary_location = browser
        for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}",
                     f"--window-size={width},{height}", *flags):
            opts.add_argument(flag)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        drivers.append(webdriver.Chrome(service=Service(executable_path=chromedriver), options=opts))
        return drivers[-1]

    yield start
    for d in drivers:
        d.quit()


def assert_offline(driver, uri: str) -> None:
    """No console errors; the page at ``uri`` loaded only file:/data: resources, and nothing went to a network."""
    console = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert console == []
    page, anywhere = [], []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            url = msg["params"]["request"]["url"]
            anywhere.append(url)
            if msg["params"].get("documentURL", "").startswith(uri):  # also the page's #fragments
                page.append(url)
    assert page and page[0] == uri
    assert [u for u in page if not u.startswith(("file:", "data:"))] == []
    assert [u for u in anywhere if u.startswith(("http:", "https:", "ws:", "wss:", "ftp:"))] == []


@pytest.fixture()
def offline():
    """:func:`assert_offline`, as a fixture (test modules are imported by path, not as a package)."""
    return assert_offline
