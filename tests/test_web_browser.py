"""The web pages in a real headless Chromium (Debian's `chromium`, driven by Playwright for Python).

Pick a target scheme on a label page and see the verdict; upload a bundle and
see the result. Without /usr/bin/chromium or the playwright package these tests
skip with the reason; under CI=true they fail instead (as the PostgreSQL tests do).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.api import create_app
from ledger.bundles import build_bundle
from ledger.log import Log

from .helpers import shared_log
from .test_web_pages import GD, HK, IN_VALIDITY, MIDEA_ID, build_web_log

CHROMIUM = os.environ.get("CARBONLEDGER_TEST_CHROMIUM", "/usr/bin/chromium")
TIMEOUT_MS = 15_000


def _browser_problem() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as e:
        return f"the playwright package is missing ({e}; pip install playwright)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    problem = _browser_problem()
    if problem is not None:
        message = f"headless Chromium is not available: {problem}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " — under CI=true the browser tests must run", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        yield b
        b.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def web_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Log]:
    with shared_log(build_web_log(f"sqlite:///{tmp_path_factory.mktemp('web') / 'ledger.db'}")) as log:
        yield log


@pytest.fixture(scope="module")
def base_url(web_log: Log, browser: Any) -> Iterator[str]:
    """uvicorn serving the app on a free port, in a background thread, for the module's tests."""
    import uvicorn

    app = create_app(web_log)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail(f"uvicorn did not start on port {port}")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=15)


@pytest.fixture
def page(browser: Any, base_url: str) -> Iterator[Any]:
    context = browser.new_context(locale="en-US")
    p = context.new_page()
    p.set_default_timeout(TIMEOUT_MS)
    yield p
    context.close()


def test_label_page_pick_a_target_scheme_and_see_the_verdict(page: Any, base_url: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base_url}/labels/{MIDEA_ID}?at={IN_VALIDITY}")
    expect(page.locator("h1")).to_contain_text("Inverter split air conditioner")
    expect(page.locator("#equivalence")).to_contain_text("Pick your scheme above")
    page.get_by_label("Your scheme").select_option(HK)
    page.locator("#check-submit").click()
    page.wait_for_url(f"**/labels/{MIDEA_ID}?*to={HK}*")
    expect(page.locator("#equivalence-verdict")).to_contain_text("No recognition agreement")
    expect(page.locator("#step-10")).to_contain_text("failed")
    expect(page.locator("#report-verdict")).to_contain_text("authentic, but not equivalent")
    expect(page.locator("#bundle-link")).to_have_attribute("href", f"/v1/labels/{MIDEA_ID}/bundle?scheme={GD}&to={HK}")
    # The date asked survived the round trip; now ask under the label's own scheme.
    expect(page.locator("#at")).to_have_value(IN_VALIDITY)
    page.get_by_label("Your scheme").select_option(GD)
    page.locator("#check-submit").click()
    page.wait_for_url(f"**to={GD}*")
    expect(page.locator("#equivalence-verdict")).to_contain_text("Recognized")
    expect(page.locator("#report-verdict")).to_contain_text("authentic and valid")


def test_upload_a_bundle_and_see_the_result(page: Any, base_url: str, web_log: Log, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    bundle_file = tmp_path / "midea.bundle.json"
    bundle_file.write_bytes(build_bundle(web_log, MIDEA_ID, GD))
    page.goto(f"{base_url}/verify")
    page.get_by_label("Bundle file").set_input_files(str(bundle_file))
    page.get_by_label("On date").fill(IN_VALIDITY)
    page.locator("#verify-submit").click()
    expect(page.locator("#report-authentic")).to_contain_text("Authentic: yes")
    expect(page.locator("#report-verdict")).to_contain_text("authentic and valid")
    expect(page.locator("#step-1")).to_contain_text("passed")
    # A file that is not a bundle: step 1 fails, the page still answers.
    junk = tmp_path / "junk.json"
    junk.write_bytes(b"{not a bundle")
    page.get_by_label("Bundle file").set_input_files(str(junk))
    page.locator("#verify-submit").click()
    expect(page.locator("#report-verdict")).to_contain_text("unusable input")
    expect(page.locator("#step-1")).to_contain_text("failed")


def test_chinese_label_page_and_language_switch(page: Any, base_url: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base_url}/labels/{MIDEA_ID}?lang=zh&to={HK}")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.locator("h1")).to_contain_text("变频分体挂壁式空调器")
    expect(page.locator("#equivalence-verdict")).to_contain_text("无互认协议")
    page.locator("#lang-zh-Hant").click()  # the switch offers every language: Traditional for Hong Kong
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hant")
    expect(page.locator("#equivalence-verdict")).to_contain_text("沒有互認協議")
    expect(page.locator("#lang-switch .lang-current")).to_have_text("繁體中文")
    page.locator("#lang-en").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#equivalence-verdict")).to_contain_text("No recognition agreement")
