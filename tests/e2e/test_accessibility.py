"""The page has no serious or critical accessibility failure, as axe-core finds them in Chromium.

axe-core (pinned in tests/e2e/package.json, installed by `npm ci` from `make test`) runs in the
page at rest, with an answer shown, with a number and its boxes shown, and with an error shown.
Its WCAG 2 A and AA rules and best practices are all run; a violation of impact "serious" or
"critical" fails the test, and each one is named with where it is. (A photo with its boxes, and a
phone's page, are checked in test_page_photos.py.)
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.drawing import ONE, draw_with_mouse, predict_response

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
FAILING = ("serious", "critical")


def violations(page: Page) -> list[str]:
    """Run axe-core in ``page``; return its serious and critical violations, each in a line."""
    if not AXE.is_file():
        pytest.fail(
            f"{AXE} is missing: run `make test` (it runs `npm ci` in tests/e2e) or "
            "`npm ci --prefix tests/e2e`.",
            pytrace=False,
        )
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => {
          const result = await axe.run(document, {resultTypes: ['violations']});
          return result.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map((n) => n.target.join(' ')),
          }));
        }"""
    )
    return [
        f"{v['impact']}: {v['id']} ({v['help']}) at {', '.join(v['nodes'])}"
        for v in found
        if v["impact"] in FAILING
    ]


def test_the_page_at_rest_has_no_serious_failure(site) -> None:
    assert violations(site.page) == []


def test_an_answer_shown_has_no_serious_failure(site) -> None:
    page = site.page
    body = predict_response(page, lambda: draw_with_mouse(page, ONE))
    expect(page.get_by_test_id("digit")).to_have_text(body["number"])
    assert violations(page) == []


def test_an_error_shown_has_no_serious_failure(site) -> None:
    page = site.page
    page.get_by_test_id("predict").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert violations(page) == []
