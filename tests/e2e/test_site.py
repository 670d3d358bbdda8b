"""The page in a real Chromium against the local stack: drawing, touch, uploads, labels, errors."""

from __future__ import annotations

import re

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Browser, expect

from infra.local_stack import start_stack
from tests.e2e.drawing import (
    DIGITS,
    LETTER_K,
    ONE,
    SEVEN,
    STAR,
    ZERO,
    draw_with_mouse,
    mnist_file,
    predict_drawing,
    predict_response,
    to_page,
)
from tests.images import encode

pytestmark = pytest.mark.e2e

# MNIST test images (index: label) the uploads are made from.
UPLOADS = {"png": (1, 2), "jpeg": (4, 4)}


def image_bytes(color: int = 255, fmt: str = "PNG") -> bytes:
    """Return a plain grey-level image with nothing on it."""
    return encode(Image.fromarray(np.full((200, 200), color, np.uint8)), fmt)


def shown_percent(p: float) -> str:
    """Return a confidence as the page shows it: never "100%" or "0%" for what is not."""
    value = p * 100
    if 99 < value < 100:
        return "99%"
    if 0 < value < 1:
        return "<1%"
    return f"{round(value)}%"


@pytest.mark.parametrize("digit", list(DIGITS))
def test_mouse_drawn_digit_is_predicted(site, digit: int) -> None:
    page = site.page
    page.get_by_label("Predict as I draw").uncheck()
    draw_with_mouse(page, DIGITS[digit])

    with page.expect_request(lambda r: r.url.endswith("/predict")) as sent:
        body = predict_response(page, page.get_by_test_id("predict").click)
    assert sent.value.post_data_json["image"].startswith("data:image/png;base64,")
    assert body["digit"] == digit

    expect(page.get_by_test_id("digit")).to_have_text(str(digit))
    expect(page.locator("#confidence-value")).to_have_text(shown_percent(body["confidence"]))
    expect(page.locator("#probs li")).to_have_count(10)
    expect(page.locator("#probs li.top .prob-digit")).to_have_text(str(digit))
    preview = page.get_by_alt_text("The 28 by 28 pixel image the model saw")
    assert preview.get_attribute("src").startswith("data:image/png;base64,")
    expect(page.locator("#saved a")).to_have_text(body["image"]["key"].split("/")[-1])
    expect(page.locator("#status")).to_contain_text(f"Predicted {digit}")
    site.screenshot(f"draw-{digit}")
    assert site.errors() == []


def test_live_prediction_waits_for_the_stroke_to_end(site) -> None:
    page = site.page
    predictions: list[str] = []
    page.on("request", lambda r: predictions.append(r.url) if r.url.endswith("/predict") else None)

    # A slow stroke (over a second) sends nothing while the pen is down...
    page.mouse.move(*to_page(page, 0.27, 0.22))
    page.mouse.down()
    for x in (0.4, 0.5, 0.6, 0.72):
        page.mouse.move(*to_page(page, x, 0.22), steps=4)
        page.wait_for_timeout(300)
    assert predictions == []
    page.mouse.up()
    # ...and the second stroke of the 7 follows before the first one's prediction matters.
    draw_with_mouse(page, [[(0.72, 0.22), (0.58, 0.52), (0.44, 0.84)]])

    expect(page.get_by_test_id("digit")).to_have_text("7")
    assert predictions, "no live prediction after the stroke ended"

    # Predict on a drawing that is already answered sends (and stores) nothing more.
    page.wait_for_load_state("networkidle")
    sent = len(predictions)
    page.get_by_test_id("predict").click()
    # The click handler would have sent at once: a request the page makes after it comes later.
    with page.expect_request(lambda r: r.url.endswith("/health")):
        page.evaluate("url => fetch(`${url}/health`)", site.stack.function_url)
    assert len(predictions) == sent
    expect(page.get_by_test_id("digit")).to_have_text("7")
    assert site.errors() == []


def record_pointer_types(page) -> None:
    """Collect the pointerType of every pointerdown on the pad in window.pointerTypes."""
    page.evaluate(
        """() => {
          window.pointerTypes = [];
          document.querySelector('[data-testid="pad"]')
            .addEventListener('pointerdown', (e) => window.pointerTypes.push(e.pointerType));
        }"""
    )


def test_touch_drawing_on_a_phone_predicts_without_scrolling(browser: Browser, open_site) -> None:
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    site = open_site(page)
    record_pointer_types(page)
    page.get_by_label("Predict as I draw").uncheck()
    cdp = context.new_cdp_session(page)

    def swipe(points: list[tuple[float, float]]) -> None:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [points[0]]})
        for point in points[1:]:
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})

    # A 1 is a downward swipe: exactly the gesture that scrolls a page instead of drawing.
    down = [to_page(page, 0.52, 0.15 + 0.7 * i / 20) for i in range(21)]
    swipe([{"x": x, "y": y} for x, y in down])

    assert page.evaluate("window.pointerTypes") == ["touch"]
    assert page.evaluate("window.scrollY") == 0
    ratio = page.evaluate(
        "(() => { const c = document.querySelector('[data-testid=pad]');"
        " return c.width / c.getBoundingClientRect().width; })()"
    )
    assert ratio == pytest.approx(2, abs=0.01), "the pad is not drawn at the screen's pixel density"

    body = predict_response(page, page.get_by_test_id("predict").tap)
    assert body["digit"] == 1
    expect(page.get_by_test_id("digit")).to_have_text("1")
    assert page.evaluate("window.scrollY") == 0
    site.screenshot("phone-touch-1")

    # The same swipe upwards outside the pad does scroll: the check above can see scrolling.
    header = page.locator(".masthead").bounding_box()
    up = [(header["x"] + 150, 700 - 30 * i) for i in range(20)]
    swipe([{"x": x, "y": y} for x, y in up])
    page.wait_for_function("window.scrollY > 0")
    assert site.errors() == []
    context.close()


def test_pen_drawing_is_predicted(site) -> None:
    page = site.page
    record_pointer_types(page)
    page.get_by_label("Predict as I draw").uncheck()
    cdp = page.context.new_cdp_session(page)
    points = [to_page(page, x, y) for x, y in ZERO[0]]

    def pen(kind: str, x: float, y: float) -> None:
        event = {"type": kind, "x": x, "y": y, "pointerType": "pen", "force": 0.5}
        if kind != "mouseMoved":
            event |= {"button": "left", "clickCount": 1}
        else:
            event |= {"button": "left", "buttons": 1}
        cdp.send("Input.dispatchMouseEvent", event)

    pen("mousePressed", *points[0])
    for point in points[1:]:
        pen("mouseMoved", *point)
    pen("mouseReleased", *points[-1])

    assert page.evaluate("window.pointerTypes") == ["pen"]
    body = predict_response(page, page.get_by_test_id("predict").click)
    assert body["digit"] == 0
    expect(page.get_by_test_id("digit")).to_have_text("0")
    assert site.errors() == []


@pytest.mark.parametrize("fmt", list(UPLOADS))
def test_uploaded_image_is_predicted_saved_and_labelled(site, mnist_test, fmt: str) -> None:
    page, stack = site.page, site.stack
    index, label = UPLOADS[fmt]
    images, _ = mnist_test
    content = mnist_file(images[index], fmt)
    predictions: list[str] = []
    page.on("request", lambda r: predictions.append(r.url) if r.url.endswith("/predict") else None)

    page.get_by_test_id("upload").set_input_files(
        {"name": f"digit.{fmt}", "mimeType": f"image/{fmt}", "buffer": content}
    )
    preview = page.locator("#upload-preview-img")
    expect(page.locator("#upload-preview")).to_be_visible()
    expect(page.locator("#upload-preview-name")).to_have_text(f"digit.{fmt}")
    page.wait_for_function("document.querySelector('#upload-preview-img').naturalWidth === 280")
    assert preview.is_visible()
    assert predictions == [], "an upload is previewed before it is predicted"

    body = predict_response(page, page.get_by_test_id("predict").click)
    assert body["digit"] == label
    assert body["saved"] is True
    expect(page.get_by_test_id("digit")).to_have_text(str(label))

    key = body["image"]["key"]
    s3 = stack.s3_client()
    stored = s3.get_object(Bucket=stack.bucket, Key=key)
    assert stored["ContentType"] == f"image/{fmt}"
    assert stored["Body"].read() == content

    # It is listed in this browser's history with the preview the answer carried.
    item = page.locator(f'[data-testid="history-item"][data-key="{key}"]')
    expect(item).to_be_visible()
    expect(item.locator(".history-digit strong")).to_have_text(str(label))
    expect(item.locator("time")).to_have_text("just now")
    expect(item.get_by_test_id("history-label")).to_be_hidden()
    assert item.locator(".thumb img").get_attribute("src") == body["preview"]

    # Say it was another digit; the page sends the receipt, shows the label, and S3 keeps it.
    corrected = (label + 3) % 10
    item.get_by_text("Wrong? Pick the right digit").click()
    with page.expect_response(lambda r: r.url.endswith("/feedback")) as answer:
        item.get_by_role("button", name=f"It is a {corrected}").click()
    assert answer.value.ok
    assert answer.value.request.post_data_json == {
        "key": key,
        "label": corrected,
        "receipt": body["receipt"],
    }
    expect(item.get_by_test_id("history-label")).to_have_text(f"You said {corrected}")
    assert [stored["label"] for stored in site.labels(key)] == [corrected]
    site.screenshot(f"upload-{fmt}")
    assert site.errors() == []


@pytest.mark.parametrize("how", ["drop", "paste"])
def test_dropped_or_pasted_image_is_previewed_then_predicted(site, mnist_test, how: str) -> None:
    page = site.page
    images, _ = mnist_test
    content = list(mnist_file(images[0], "png"))  # MNIST's first test digit, a 7
    page.evaluate(
        """([how, bytes]) => {
          const data = new DataTransfer();
          data.items.add(new File([new Uint8Array(bytes)], 'seven.png', {type: 'image/png'}));
          const event = how === 'drop'
            ? new DragEvent('drop', {dataTransfer: data, bubbles: true, cancelable: true})
            : new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true});
          (how === 'drop' ? document.getElementById('dropzone') : document).dispatchEvent(event);
        }""",
        [how, content],
    )
    expect(page.locator("#upload-preview-name")).to_have_text("seven.png")
    body = predict_response(page, page.get_by_test_id("predict").click)
    assert body["digit"] == 7
    expect(page.get_by_test_id("digit")).to_have_text("7")

    # Back to the pad: the preview goes, and drawing predicts again.
    page.get_by_role("button", name="Draw instead").click()
    expect(page.locator("#upload-preview")).to_be_hidden()
    draw_with_mouse(page, ONE)
    expect(page.get_by_test_id("digit")).to_have_text("1")
    assert site.errors() == []


def test_blank_canvas_says_nothing_drawn(site) -> None:
    page = site.page
    predictions: list[str] = []
    page.on("request", lambda r: predictions.append(r.url) if r.url.endswith("/predict") else None)
    page.get_by_test_id("predict").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing drawn")
    expect(page.get_by_test_id("digit")).to_have_text("")
    assert predictions == []

    # Drawing, then clearing, comes back to the same place.
    draw_with_mouse(page, ONE)
    expect(page.get_by_test_id("digit")).to_have_text("1")
    page.get_by_test_id("clear").click()
    expect(page.locator("#result-empty")).to_be_visible()
    page.get_by_test_id("predict").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing drawn")
    site.screenshot("nothing-drawn")
    assert site.errors() == []


@pytest.mark.parametrize("shape", ["K", "star"])
def test_a_drawn_letter_or_symbol_is_refused_plainly(site, shape: str) -> None:
    page = site.page
    body = predict_drawing(page, {"K": LETTER_K, "star": STAR}[shape])
    assert body["error"]["code"] == "not_a_digit"
    expect(page.get_by_role("alert")).to_contain_text("does not look like a digit or a number")
    expect(page.get_by_test_id("digit")).to_have_text("")
    site.screenshot(f"not-a-digit-{shape}")
    assert site.errors(422) == []


@pytest.mark.parametrize(
    ("name", "mime", "content", "status", "words"),
    [
        # the function looks at the image and finds no ink: 422, and the page says what to try
        ("blank.png", "image/png", image_bytes(), 422, "No digit found in that image"),
        # an SVG is an image to the browser but not to the function: 415
        ("digit.svg", "image/svg+xml", b'<svg xmlns="http://www.w3.org/2000/svg"/>', 415,
         "not an image we can read"),
        # bytes that claim to be a PNG: 400
        ("broken.png", "image/png", image_bytes()[:60], 400, "could not be read"),
        # the page itself refuses these before sending anything
        ("notes.txt", "text/plain", b"seven", None, "not an image we can read"),
        ("huge.png", "image/png", b"\x89PNG" + bytes(5 * 1024 * 1024), None, "too large"),
    ],
)  # fmt: skip
def test_bad_uploads_are_explained_in_plain_words(
    site, name: str, mime: str, content: bytes, status: int | None, words: str
) -> None:
    page = site.page
    page.get_by_test_id("upload").set_input_files(
        {"name": name, "mimeType": mime, "buffer": content}
    )
    if status is None:
        expect(page.get_by_role("alert")).to_contain_text(words)
        expect(page.locator("#upload-preview")).to_be_hidden()
    else:
        with page.expect_response(lambda r: r.url.endswith("/predict")) as answer:
            page.get_by_test_id("predict").click()
        assert answer.value.status == status
        expect(page.get_by_role("alert")).to_contain_text(words)
    expect(page.get_by_test_id("digit")).to_have_text("")
    assert site.errors(status or 0) == []


def test_network_down_is_explained(site) -> None:
    page = site.page
    page.route("**/predict", lambda route: route.abort("internetdisconnected"))
    page.get_by_label("Predict as I draw").uncheck()
    draw_with_mouse(page, SEVEN)
    page.get_by_test_id("predict").click()
    expect(page.get_by_role("alert")).to_contain_text("Cannot reach the recognizer")
    # The browser itself logs the failed request; nothing else may appear.
    assert [e for e in site.errors() if "ERR_INTERNET_DISCONNECTED" not in e] == []


def test_keyboard_undo_and_predict(site) -> None:
    page = site.page
    page.get_by_label("Predict as I draw").uncheck()
    undo = page.get_by_role("button", name="Undo")
    expect(undo).to_be_disabled()
    draw_with_mouse(page, ONE)
    expect(undo).to_be_enabled()
    page.keyboard.press("Control+z")
    expect(undo).to_be_disabled()
    expect(page.locator("#pad-wrap")).not_to_have_class(re.compile("has-ink"))

    draw_with_mouse(page, SEVEN + ONE)  # a stray stroke after the 7
    page.keyboard.press("Control+z")
    expect(undo).to_be_enabled()

    # Tab through the tools in order, then press Predict with the keyboard.
    page.get_by_label("Brush").focus()
    order = []
    for _ in range(3):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.textContent.trim()"))
    assert order == ["Undo", "Clear", "Predict"]
    body = predict_response(page, lambda: page.keyboard.press("Enter"))
    assert body["digit"] == 7
    expect(page.get_by_test_id("digit")).to_have_text("7")

    page.keyboard.press("Control+z")
    expect(undo).to_be_disabled()
    assert site.errors() == []


def test_image_not_saved_is_said_plainly(browser: Browser, open_site) -> None:
    # A stack of its own, as no setting makes it: its bucket is deleted, so every save fails for
    # real while predictions still work. The session's stack keeps its bucket for the others.
    with start_stack(env={"IMAGES_BUCKET": "digits-images-gone"}) as broken:
        broken.s3_client().delete_bucket(Bucket=broken.bucket)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        site = open_site(page, broken)
        page.get_by_label("Predict as I draw").uncheck()
        draw_with_mouse(page, ONE)
        body = predict_response(page, page.get_by_test_id("predict").click)
        assert body["saved"] is False
        expect(page.get_by_test_id("digit")).to_have_text("1")
        expect(page.locator("#saved")).to_contain_text("Image not saved")
        expect(page.locator("#status")).to_contain_text("The image was not saved")
        # Without a key and a receipt there is nothing to label: the history stays empty.
        expect(page.get_by_test_id("history-item")).to_have_count(0)
        expect(page.locator("#history-status")).to_contain_text("Nothing yet")
        site.screenshot("not-saved")
        assert site.errors() == []
        page.close()
