# ruff: noqa: F811  (pytest fixtures imported from test_web_browser are redefined as arguments)
"""The label page's first screen in a real browser on a phone (issue 19 item 2): authentic or not, valid or not,
recognized or not — in the banner, above the fold — with the footprint drawn, a QR code, and a print layout.

The attack guarded: a seller shows a buyer the page of a revoked label; the page must say "revoked" at the top
and strike the number through, not show it in large bold type with a small badge."""

from __future__ import annotations

from typing import Any

from .test_web_browser import base_url, browser, page, web_log  # noqa: F401  (the module's fixtures)
from .test_web_pages import GD, HK, IN_VALIDITY, MIDEA_ID

PHONE = {"width": 390, "height": 844}


def _phone(page: Any) -> Any:
    page.set_viewport_size(PHONE)
    return page


def test_a_valid_label_says_so_above_the_fold_with_the_verdict(page: Any, base_url: str) -> None:
    from playwright.sync_api import expect

    p = _phone(page)
    p.goto(f"{base_url}/labels/{GD}/{MIDEA_ID}?at={IN_VALIDITY}&to={GD}")
    banner = p.locator("#status-banner")
    expect(banner).to_have_class("banner banner-valid banner-good")
    expect(banner).to_contain_text("Authentic and valid")
    expect(p.locator("#banner-verdict")).to_contain_text("Recognized")
    box = banner.bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["height"], box  # the first screen
    chart = p.locator("#chart-stages svg")
    expect(chart).to_be_visible()
    assert (chart.bounding_box() or {"width": 0})["width"] > 300  # drawn at a readable size on the phone
    expect(p.locator("#label-qr svg")).to_be_visible()
    expect(p.locator("#label-qr figcaption")).to_contain_text("/01/06932233000011")


def test_attack_revoked_label_page_says_revoked_first_and_strikes_the_number(
    page: Any,
    base_url: str,
) -> None:
    from playwright.sync_api import expect

    p = _phone(page)
    p.goto(f"{base_url}/labels/{GD}/GD-CL-2022-0011?to={HK}")
    banner = p.locator("#status-banner")
    expect(banner).to_have_class("banner banner-revoked banner-bad")
    expect(p.locator("#banner-h")).to_have_text("Revoked")
    expect(p.locator("#banner-detail")).to_contain_text("discontinued")
    expect(p.locator("#banner-verdict")).to_have_class("banner-verdict verdict-bad")  # never a green verdict
    expect(p.locator("#banner-verdict")).to_contain_text("cannot be relied on")
    box = banner.bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["height"], box
    decoration = p.locator("#footprint-value").evaluate("e => getComputedStyle(e).textDecorationLine")
    assert "line-through" in decoration


def test_printing_makes_a_certificate_without_the_forms(page: Any, base_url: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base_url}/labels/{GD}/{MIDEA_ID}?at={IN_VALIDITY}")
    page.emulate_media(media="print")
    expect(page.locator("#status-banner")).to_be_visible()
    expect(page.locator("#chart-stages")).to_be_visible()
    expect(page.locator("#check-form")).to_be_hidden()
    expect(page.locator("#bundle-link")).to_be_hidden()


def test_api_docs_render_offline_with_every_outside_request_refused(page: Any, base_url: str) -> None:
    """Issue 19 item 3: /docs was blank offline (Swagger UI from a CDN); now its assets are package data."""
    from playwright.sync_api import expect

    outside: list[str] = []

    def refuse(route: Any) -> None:
        if route.request.url.startswith(base_url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", refuse)
    page.goto(f"{base_url}/docs")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()  # the operations are listed
    expect(page.locator("#swagger-ui")).to_contain_text("/01/{gtin}")
    assert outside == []
