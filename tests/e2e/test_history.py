"""Each browser keeps its own history: separate people, labels sent with receipts, clearing."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.drawing import ONE, SEVEN, ZERO, predict_drawing

if TYPE_CHECKING:
    from tests.e2e.conftest import Site

pytestmark = pytest.mark.e2e

STORAGE_KEY = "digits.history.v1"  # site/history-store.js
ENTRY_FIELDS = {"key", "receipt", "digit", "confidence", "preview", "at", "label", "previews"}


def listed_keys(page: Page) -> list[str]:
    """Return the keys of the history's entries, top to bottom."""
    items = page.get_by_test_id("history-item")
    return [items.nth(i).get_attribute("data-key") for i in range(items.count())]


def kept(page: Page) -> list[dict] | None:
    """Return what the page keeps in localStorage (None when it keeps nothing)."""
    raw = page.evaluate(f"localStorage.getItem({STORAGE_KEY!r})")
    return None if raw is None else json.loads(raw)


def keep(page: Page, entries: list[dict]) -> None:
    """Replace what the page keeps, then reload it, as a person with an edited browser would."""
    page.evaluate(f"(v) => localStorage.setItem({STORAGE_KEY!r}, v)", json.dumps(entries))
    page.reload()


def pick_label(page: Page, key: str, digit: int):
    """Pick `digit` as the right one for the entry `key`; return the POST /feedback response."""
    item = page.locator(f'[data-testid="history-item"][data-key="{key}"]')
    choice = item.get_by_role("button", name=f"It is a {digit}")
    if not choice.is_visible():
        item.get_by_text("Wrong? Pick the right digit").click()
    with page.expect_response(lambda r: r.url.endswith("/feedback")) as answer:
        choice.click()
    return answer.value


def test_two_browsers_each_see_only_their_own_history(
    browser: Browser, open_site: Callable[..., Site]
) -> None:
    # Two people on the same function: one at a desk, one on a phone.
    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    phone = browser.new_context(
        viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True
    )
    a, b = open_site(desk.new_page()), open_site(phone.new_page())
    for site in (a, b):
        expect(site.page.locator("#history-status")).to_have_text(
            "Nothing yet: your predictions will show up here."
        )
        expect(site.page.get_by_test_id("history-clear")).to_be_disabled()

    a_answers = [predict_drawing(a.page, ONE), predict_drawing(a.page, SEVEN)]
    b_answers = [predict_drawing(b.page, ZERO)]
    a_keys = [answer["image"]["key"] for answer in reversed(a_answers)]  # newest first
    b_keys = [answer["image"]["key"] for answer in b_answers]
    assert all(answer["saved"] and answer["receipt"] for answer in a_answers + b_answers)

    for _ in ("as predicted", "after a reload"):
        expect(a.page.get_by_test_id("history-item")).to_have_count(2)
        expect(b.page.get_by_test_id("history-item")).to_have_count(1)
        assert listed_keys(a.page) == a_keys
        assert listed_keys(b.page) == b_keys
        a.page.reload()
        b.page.reload()

    # Each entry shows the digit, how sure and the preview the answer carried, nothing else.
    first = a.page.get_by_test_id("history-item").first
    expect(first.locator(".history-digit strong")).to_have_text("7")
    assert first.locator(".thumb img").get_attribute("src") == a_answers[1]["preview"]
    assert [set(entry) for entry in kept(a.page)] == [ENTRY_FIELDS, ENTRY_FIELDS]
    assert [entry["preview"] for entry in kept(a.page)] == [x["preview"] for x in a_answers[::-1]]
    assert [entry["previews"] for entry in kept(a.page)] == [[], []]  # a number's digits only
    # Nothing but predictions went to the function: the history is never fetched.
    for site in (a, b):
        assert set(site.function_calls) == {"POST /predict"}, site.function_calls

    a.screenshot("history-desktop")
    b.screenshot("history-phone")
    assert a.errors() == []
    assert b.errors() == []
    desk.close()
    phone.close()


def test_a_label_is_sent_with_the_receipt_kept_and_can_be_changed(site) -> None:
    page = site.page
    answer = predict_drawing(page, SEVEN)
    key = answer["image"]["key"]
    item = page.locator(f'[data-testid="history-item"][data-key="{key}"]')
    expect(item.get_by_test_id("history-label")).to_be_hidden()

    response = pick_label(page, key, 1)
    assert response.status == 200
    assert response.request.post_data_json == {"key": key, "label": 1, "receipt": answer["receipt"]}
    expect(item.get_by_test_id("history-label")).to_have_text("You said 1")
    stored = site.labels(key)
    assert [(s["key"], s["label"]) for s in stored] == [(key, 1)]
    assert stored[0]["labelled_at"] == response.json()["labelled_at"]

    # The label is this browser's too: it is still there after a reload...
    page.reload()
    expect(item.get_by_test_id("history-label")).to_have_text("You said 1")
    item.get_by_text("Wrong? Pick the right digit").click()
    expect(item.get_by_role("button", name="It is a 1")).to_have_attribute("aria-pressed", "true")
    # ...and a person may change their mind: the server keeps both, in order.
    assert pick_label(page, key, 7).status == 200
    expect(item.get_by_test_id("history-label")).to_have_text("You said 7")
    assert [s["label"] for s in site.labels(key)] == [1, 7]
    assert kept(page)[0]["label"] == 7
    site.screenshot("history-labelled")
    assert site.errors() == []


def test_clearing_the_history_empties_it_for_good(site) -> None:
    page = site.page
    predict_drawing(page, ONE)
    predict_drawing(page, ZERO)
    expect(page.get_by_test_id("history-item")).to_have_count(2)

    page.get_by_test_id("history-clear").click()
    expect(page.get_by_test_id("history-item")).to_have_count(0)
    expect(page.locator("#history-status")).to_contain_text("Nothing yet")
    expect(page.get_by_test_id("history-clear")).to_be_disabled()
    expect(page.locator("#status")).to_have_text("History cleared.")
    assert kept(page) is None

    page.reload()
    expect(page.locator("#history-status")).to_contain_text("Nothing yet")
    expect(page.get_by_test_id("history-item")).to_have_count(0)
    # The result on screen was not the history's: predicting again starts a new list.
    predict_drawing(page, SEVEN)
    expect(page.get_by_test_id("history-item")).to_have_count(1)
    assert site.errors() == []


def test_the_list_keeps_only_the_newest_twelve(site) -> None:
    page = site.page
    answer = predict_drawing(page, ONE)
    entry = kept(page)[0]
    # Twelve older entries (copies under other keys), then one more prediction on top.
    older = [{**entry, "key": f"{answer['image']['key']}-{i}"} for i in range(12)]
    keep(page, older)
    expect(page.get_by_test_id("history-item")).to_have_count(12)
    newest = predict_drawing(page, SEVEN)["image"]["key"]
    expect(page.get_by_test_id("history-item")).to_have_count(12)
    assert listed_keys(page) == [newest] + [e["key"] for e in older[:11]]
    assert len(kept(page)) == 12
    assert site.errors() == []


def forge_receipt(site: Site, entries: list[dict]) -> None:
    """Give the newest entry a receipt this browser never received."""
    keep(site.page, [{**entries[0], "receipt": "A" * 43}, *entries[1:]])


def swap_receipts(site: Site, entries: list[dict]) -> None:
    """Give the newest entry the receipt of this browser's other image."""
    first, second = entries
    keep(site.page, [{**first, "receipt": second["receipt"]}, second])


def delete_image(site: Site, entries: list[dict]) -> None:
    """Remove the newest entry's image from the bucket, as its expiry would."""
    site.stack.s3_client().delete_object(Bucket=site.stack.bucket, Key=entries[0]["key"])


def go_offline(site: Site, entries: list[dict]) -> None:
    """Make every label request fail before it reaches the function."""
    site.page.route("**/feedback", lambda route: route.abort("internetdisconnected"))


def storage_down(site: Site, entries: list[dict]) -> None:
    """Answer label requests as the function does when S3 does not answer."""
    body = {"error": {"code": "storage_unavailable", "message": "image storage is unavailable"}}
    site.page.route(
        "**/feedback",
        lambda route: route.fulfill(
            status=503,
            json=body,
            headers={"Access-Control-Allow-Origin": site.stack.site_url},
        ),
    )


@pytest.mark.parametrize(
    ("spoil", "status", "words"),
    [
        (forge_receipt, 403, "Only the browser that sent this image can label it"),
        (swap_receipts, 403, "Only the browser that sent this image can label it"),
        (delete_image, 404, "no longer stored"),
        (storage_down, 503, "image store is not answering"),
        (go_offline, None, "Cannot reach the recognizer"),
    ],
)
def test_a_refused_label_is_explained_in_plain_words(
    site, spoil: Callable[[Site, list[dict]], None], status: int | None, words: str
) -> None:
    page = site.page
    predict_drawing(page, ONE)
    predict_drawing(page, SEVEN)
    entries = kept(page)
    key = entries[0]["key"]
    spoil(site, entries)

    item = page.locator(f'[data-testid="history-item"][data-key="{key}"]')
    response_status = None
    item.get_by_text("Wrong? Pick the right digit").click()
    if status is None:
        item.get_by_role("button", name="It is a 4").click()
    else:
        response_status = pick_label(page, key, 4).status
    assert response_status == status
    expect(item.get_by_role("alert")).to_contain_text("Not recorded:")
    expect(item.get_by_role("alert")).to_contain_text(words)
    expect(item.get_by_test_id("history-label")).to_be_hidden()
    assert kept(page)[0]["label"] is None
    assert site.labels(key) == []
    if spoil is forge_receipt:
        site.screenshot("history-refused")
    # The browser logs the refused request itself; nothing else may appear.
    assert [e for e in site.errors(status or 0) if "ERR_INTERNET_DISCONNECTED" not in e] == []


def test_another_tab_of_the_same_browser_shows_the_same_history(
    site, open_site: Callable[..., Site]
) -> None:
    other = open_site(site.page.context.new_page())
    key = predict_drawing(site.page, ONE)["image"]["key"]
    expect(other.page.get_by_test_id("history-item")).to_have_count(1)
    assert listed_keys(other.page) == [key]

    other.page.get_by_test_id("history-clear").click()
    expect(site.page.get_by_test_id("history-item")).to_have_count(0)
    assert site.errors() == []
    assert other.errors() == []


def test_times_are_said_again_as_they_pass(page: Page, open_site: Callable[..., Site]) -> None:
    page.clock.install()
    site = open_site(page)
    predict_drawing(page, ZERO)
    time = page.get_by_test_id("history-item").locator("time")
    expect(time).to_have_text("just now")
    page.clock.fast_forward("05:00")
    expect(time).to_have_text("5 min ago")
    assert site.errors() == []


def test_a_browser_that_keeps_nothing_still_lists_this_visit(
    page: Page, open_site: Callable[..., Site]
) -> None:
    # Storage turned off for the site (as blocked cookies do): localStorage throws on use.
    page.add_init_script(
        """Object.defineProperty(window, 'localStorage', {
             get() { throw new DOMException('storage is off', 'SecurityError'); },
           });"""
    )
    site = open_site(page)
    expect(page.locator("#history-status")).to_contain_text("not keeping data for pages")
    answer = predict_drawing(page, SEVEN)
    expect(page.get_by_test_id("history-item")).to_have_count(1)
    assert pick_label(page, answer["image"]["key"], 1).status == 200
    expect(page.get_by_test_id("history-label")).to_have_text("You said 1")

    page.reload()
    expect(page.get_by_test_id("history-item")).to_have_count(0)
    assert site.errors() == []
