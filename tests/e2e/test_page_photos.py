"""Photos on the page: a number photographed on a desk is read and boxed on the photo; phones get a
"Take a photo" button; a photo with nothing found says what to try."""

from __future__ import annotations

import io
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Browser, expect

from bench import heldout, photos
from tests.e2e.drawing import predict_response
from tests.e2e.test_accessibility import violations
from tests.images import encode

# A number of three digits in pen on ruled paper lying on a desk, in a shadow, turned and tilted
# a little: the photo bench's (bench/photos.py), sample 2 of the tune split, a 1600x1200 JPEG.
NUMBER = replace(photos.RULED_ON_DESK, digits=(3, 4))
SAMPLE = 2


@pytest.fixture(scope="module")
def number_photo(mnist_test) -> photos.PhotoSample:
    return photos.photo(heldout.split("tune"), SAMPLE, NUMBER, mnist_test)


def test_a_photo_of_a_number_on_a_desk_is_read_and_boxed_on_the_photo(site, number_photo) -> None:
    page = site.page
    width, height = Image.open(io.BytesIO(number_photo.data)).size
    page.get_by_test_id("upload").set_input_files(
        {"name": "number.jpg", "mimeType": "image/jpeg", "buffer": number_photo.data}
    )
    page.wait_for_function(
        f"document.querySelector('#upload-preview-img').naturalWidth === {width}"
    )
    body = predict_response(page, page.get_by_test_id("predict").click)
    assert body["number"] == number_photo.number
    expect(page.get_by_test_id("digit")).to_have_text(number_photo.number)
    expect(page.locator("#digit-list li strong")).to_have_text(list(number_photo.number))

    # Each digit is boxed on the photo as it is shown, over the writing, left to right.
    boxes = page.get_by_test_id("digit-box")
    expect(boxes).to_have_count(len(number_photo.number))
    expect(boxes.locator(".digit-box-tag")).to_have_text(list(number_photo.number))
    frame = page.evaluate(
        """() => {
          const img = document.querySelector('#upload-preview-img');
          const shown = img.getBoundingClientRect();
          const pad = getComputedStyle(img);
          const [l, r] = [parseFloat(pad.paddingLeft), parseFloat(pad.paddingRight)];
          const [t, b] = [parseFloat(pad.paddingTop), parseFloat(pad.paddingBottom)];
          const left = shown.left + l;
          const top = shown.top + t;
          const room = [shown.width - l - r, shown.height - t - b];
          const scale = Math.min(room[0] / img.naturalWidth, room[1] / img.naturalHeight);
          return {left: left + (room[0] - img.naturalWidth * scale) / 2,
                  top: top + (room[1] - img.naturalHeight * scale) / 2, scale};
        }"""
    )
    x, y, w, h = number_photo.writing_box
    slack = 0.02 * max(width, height) * frame["scale"] + 2
    writing = {
        "left": frame["left"] + x * frame["scale"] - slack,
        "top": frame["top"] + y * frame["scale"] - slack,
        "right": frame["left"] + (x + w) * frame["scale"] + slack,
        "bottom": frame["top"] + (y + h) * frame["scale"] + slack,
    }
    shown = [boxes.nth(i).bounding_box() for i in range(len(number_photo.number))]
    for box in shown:
        assert writing["left"] <= box["x"]
        assert box["x"] + box["width"] <= writing["right"]
        assert writing["top"] <= box["y"]
        assert box["y"] + box["height"] <= writing["bottom"]
    assert [box["x"] for box in shown] == sorted(box["x"] for box in shown)
    site.screenshot("photo-number-on-a-desk")
    # The boxes and the photo keep the page free of serious accessibility failures.
    assert violations(page) == []
    assert site.errors() == []


def test_a_photo_with_no_writing_says_what_to_try(site) -> None:
    page = site.page
    rng = np.random.default_rng(0)
    paper = 235 + rng.normal(0, 3, (1200, 1600, 3))
    photo = encode(Image.fromarray(np.clip(paper, 0, 255).astype(np.uint8)), "JPEG", quality=85)
    page.get_by_test_id("upload").set_input_files(
        {"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": photo}
    )
    with page.expect_response(lambda r: r.url.endswith("/predict")) as answer:
        page.get_by_test_id("predict").click()
    assert answer.value.status == 422
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("No digit found in that image")
    for advice in ("closer", "more light", "darker pen"):
        expect(alert).to_contain_text(advice)
    assert violations(page) == []
    assert site.errors(422) == []


def test_phones_get_a_take_a_photo_button(browser: Browser, open_site) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    try:
        site = open_site(context.new_page())
        page = site.page
        camera = page.get_by_text("Take a photo")
        expect(camera).to_be_visible()
        field = page.get_by_test_id("camera")
        assert field.get_attribute("capture") == "environment"
        assert field.get_attribute("accept") == "image/*"
        expect(page.get_by_text("choose a file")).to_be_visible()
        # What the camera gives is previewed like any upload, ready to predict.
        image = Image.new("RGB", (1200, 900), (236, 234, 228))
        field.set_input_files(
            {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": encode(image, "JPEG")}
        )
        expect(page.locator("#upload-preview")).to_be_visible()
        expect(page.locator("#upload-preview-name")).to_have_text("photo.jpg")
        # Not full-page: Chromium lays a full-page capture out for a fine pointer, button gone.
        page.get_by_text("Take a photo").scroll_into_view_if_needed()
        page.screenshot(path=str(site.artifacts / "phone-take-a-photo.png"))
        assert violations(page) == []
        assert site.errors() == []
    finally:
        context.close()


def test_a_desktop_has_no_camera_button(site) -> None:
    expect(site.page.get_by_text("Take a photo")).to_be_hidden()
    expect(site.page.get_by_text("choose a file")).to_be_visible()
