"""Write the Lambda Function URL events (payload format 2.0) in this folder from MNIST test digits.

The events are committed; run this again only to change them:
``.venv/bin/python tests/events/generate.py [--mnist-dir DIR]``. Each is shaped like what a
Function URL really delivers: lower-case headers, binary bodies (images, multipart) base64-encoded
with ``isBase64Encoded``, text and JSON bodies as they are, the CloudFront site as ``origin``.
They work with ``sam local invoke DigitsFunction -e tests/events/<name>.json``.

``--large DIR`` also writes two events with the largest images the function accepts (a 40 MP
canvas-like PNG and a 36 MP photo-like JPEG) into DIR, for ``python -m infra.measure_lambda
--events DIR``; they are not committed (2 MB of JSON).
"""

from __future__ import annotations

import argparse
import base64
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image

from model import mnist

HERE = Path(__file__).resolve().parent
URL_ID = "a3b5c7d9e1f2g4h6i8j0k2l4m6n8o0pq"
REGION = "eu-west-1"
DOMAIN = f"{URL_ID}.lambda-url.{REGION}.on.aws"
SITE_ORIGIN = "https://d1a2b3c4d5e6f7.cloudfront.net"
BROWSER = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
# MNIST test-set indices: a 7, a 2 and a 1, the first three test digits; a 4 for the HEIC photo.
CANVAS_INDEX, UPLOAD_INDEX, RAW_INDEX, PHOTO_INDEX = 0, 1, 2, 4
BOUNDARY = "----WebKitFormBoundaryq8mZ3dF1pR7xV2cL"


def png(image: Image.Image) -> bytes:
    """Return ``image`` encoded as PNG."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def canvas_png(digit: np.ndarray, size: int = 280) -> bytes:
    """Return the digit as the page's canvas exports it: dark ink on a transparent background."""
    ink = Image.fromarray(digit).resize((size, size), Image.Resampling.BILINEAR)
    rgba = Image.new("RGBA", (size, size), (17, 17, 17, 0))
    rgba.putalpha(ink)
    return png(rgba)


def scan_png(digit: np.ndarray, size: int = 112) -> bytes:
    """Return the digit as a scan: dark ink on white paper, grey levels."""
    ink = Image.fromarray(255 - digit).resize((size, size), Image.Resampling.BILINEAR)
    return png(ink)


def heic_photo(digit: np.ndarray) -> bytes:
    """Return the digit in pen on grey-white paper, as a phone's HEIC photo of it (1024x768).

    It is read through the photo path and pi-heif, so the package's measured run imports them.
    """
    import pillow_heif  # a development dependency: the function only decodes HEIC

    paper = np.full((768, 1024), 228.0) - np.linspace(0, 30, 1024)[None, :]
    ink = np.asarray(Image.fromarray(digit).resize((280, 280), Image.Resampling.BILINEAR)) / 255
    paper[244:524, 372:652] *= 1 - 0.85 * ink
    noise = np.random.default_rng(PHOTO_INDEX).normal(0, 2.0, paper.shape)
    image = Image.fromarray(np.clip(paper + noise, 0, 255).astype(np.uint8)).convert("RGB")
    buffer = io.BytesIO()
    pillow_heif.from_pillow(image).save(buffer, quality=50)
    return buffer.getvalue()


def event(
    method: str,
    path: str,
    *,
    query: str = "",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    binary: bool = False,
    request_id: str,
    time_epoch: int,
) -> dict:
    """Return a Function URL event for one request, as Lambda delivers it."""
    all_headers = {
        "host": DOMAIN,
        "x-amzn-tls-version": "TLSv1.3",
        "x-amzn-tls-cipher-suite": "TLS_AES_128_GCM_SHA256",
        "x-amzn-trace-id": f"Root=1-{time_epoch // 1000:x}-{request_id.replace('-', '')[:24]}",
        "x-forwarded-proto": "https",
        "x-forwarded-port": "443",
        "x-forwarded-for": "198.51.100.23",
        "accept-encoding": "gzip, deflate, br, zstd",
        "accept-language": "en-GB,en;q=0.9",
        **(headers or {}),
    }
    if body is not None:
        all_headers["content-length"] = str(len(body))
    result = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": dict(sorted(all_headers.items())),
    }
    if query:
        result["queryStringParameters"] = dict(p.split("=", 1) for p in query.split("&"))
    result["requestContext"] = {
        "accountId": "anonymous",
        "apiId": URL_ID,
        "domainName": DOMAIN,
        "domainPrefix": URL_ID,
        "http": {
            "method": method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": "198.51.100.23",
            "userAgent": all_headers.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": "$default",
        "stage": "$default",
        "time": datetime.fromtimestamp(time_epoch / 1000, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": time_epoch,
    }
    if body is not None:
        result["body"] = base64.b64encode(body).decode("ascii") if binary else body.decode()
    result["isBase64Encoded"] = binary
    return result


def browser_headers(**extra: str) -> dict[str, str]:
    """Return the headers the page's fetch() sends from the CloudFront site."""
    return {
        "origin": SITE_ORIGIN,
        "referer": f"{SITE_ORIGIN}/",
        "user-agent": BROWSER,
        "accept": "*/*",
        "sec-fetch-mode": "cors",
        "sec-fetch-site": "cross-site",
        **extra,
    }


def multipart(field: str, filename: str, content_type: str, data: bytes) -> bytes:
    """Return a multipart/form-data body with one file field, as a browser form sends it."""
    head = (
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode()
    return head + data + f"\r\n--{BOUNDARY}--\r\n".encode()


def events(images: np.ndarray) -> dict[str, dict]:
    """Return every fixture by file name."""
    start = 1795515300000  # 2026-11-24T10:15:00Z
    upload = multipart("file", "digit-2.png", "image/png", scan_png(images[UPLOAD_INDEX]))
    canvas = json.dumps(
        {
            "image": "data:image/png;base64,"
            + base64.b64encode(canvas_png(images[CANVAS_INDEX])).decode()
        }
    ).encode()
    return {
        "predict-canvas-json.json": event(
            "POST",
            "/predict",
            headers=browser_headers(**{"content-type": "application/json"}),
            body=canvas,
            request_id="6f1c2a3b-0d4e-4f5a-9b6c-7d8e9f0a1b2c",
            time_epoch=start,
        ),
        "predict-multipart-upload.json": event(
            "POST",
            "/predict",
            headers=browser_headers(
                **{"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
            ),
            body=upload,
            binary=True,
            request_id="0b9d8c7e-6f5a-4b3c-8d2e-1f0a9b8c7d6e",
            time_epoch=start + 1000,
        ),
        "predict-raw-png.json": event(
            "POST",
            "/predict",
            headers={"content-type": "image/png", "user-agent": "curl/8.5.0", "accept": "*/*"},
            body=png(Image.fromarray(images[RAW_INDEX])),
            binary=True,
            request_id="3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
            time_epoch=start + 2000,
        ),
        "preflight-options.json": event(
            "OPTIONS",
            "/predict",
            headers=browser_headers(
                **{
                    "access-control-request-method": "POST",
                    "access-control-request-headers": "content-type",
                }
            ),
            request_id="9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b",
            time_epoch=start + 3000,
        ),
        "bad-request-text-plain.json": event(
            "POST",
            "/predict",
            headers={"content-type": "text/plain", "user-agent": "curl/8.5.0", "accept": "*/*"},
            body=b"seven",
            request_id="1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
            time_epoch=start + 4000,
        ),
        "bad-request-invalid-json.json": event(
            "POST",
            "/predict",
            headers=browser_headers(**{"content-type": "application/json"}),
            body=b'{"image": "data:image/png;base64,iVBOR',
            request_id="2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e",
            time_epoch=start + 5000,
        ),
        "health-get.json": event(
            "GET",
            "/health",
            headers={"user-agent": "curl/8.5.0", "accept": "*/*"},
            request_id="4d5e6f7a-8b9c-4d0e-8f1a-2b3c4d5e6f7a",
            time_epoch=start + 6000,
        ),
        # The public function lists nothing: a page from before receipts gets a 404.
        "images-gone.json": event(
            "GET",
            "/images",
            query="limit=5",
            headers=browser_headers(),
            request_id="5e6f7a8b-9c0d-4e1f-9a2b-3c4d5e6f7a8b",
            time_epoch=start + 7000,
        ),
        "feedback-unknown-key.json": event(
            "POST",
            "/feedback",
            headers=browser_headers(**{"content-type": "application/json"}),
            body=b'{"key": "images/2026/11/24/20261124T101500000000Z-0123456789abcdef.png", '
            b'"label": 7, "receipt": "Qm9ndXMgcmVjZWlwdCBmb3IgYSBrZXkgbm9ib2R5IGhhcw"}',
            request_id="7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d",
            time_epoch=start + 8000,
        ),
        # A phone's photo as an iPhone sends it: HEIC.
        "predict-raw-heic.json": event(
            "POST",
            "/predict",
            headers={"content-type": "image/heic", "user-agent": "curl/8.5.0", "accept": "*/*"},
            body=heic_photo(images[PHOTO_INDEX]),
            binary=True,
            request_id="8b9c0d1e-2f3a-4b4c-9d5e-6f7a8b9c0d1e",
            time_epoch=start + 9000,
        ),
    }


def large_events(images: np.ndarray) -> dict[str, dict]:
    """Return events with the largest images the function accepts (MAX_PIXELS is 40 MP)."""
    side = 6320  # 39.9 MP: a canvas-like RGBA PNG, ink only in the middle
    ink = Image.fromarray(images[CANVAS_INDEX]).resize((3000, 3000), Image.Resampling.BILINEAR)
    alpha = Image.new("L", (side, side), 0)
    alpha.paste(ink, (1500, 1500))
    canvas = Image.new("RGBA", (side, side), (17, 17, 17, 0))
    canvas.putalpha(alpha)
    # 36 MP: a photo-like JPEG, dark ink on noisy paper
    paper = np.full((6000, 6000), 245, dtype=np.int16)
    digit = Image.fromarray(255 - images[UPLOAD_INDEX]).resize((2000, 2000))
    paper[2000:4000, 2000:4000] = np.minimum(paper[2000:4000, 2000:4000], np.asarray(digit))
    paper += np.random.default_rng(0).integers(-6, 7, paper.shape, dtype=np.int16)
    photo = io.BytesIO()
    Image.fromarray(paper.clip(0, 255).astype(np.uint8)).convert("RGB").save(
        photo, "JPEG", quality=60
    )
    start = 1795515400000
    raw = {"user-agent": "curl/8.5.0", "accept": "*/*"}
    return {
        "predict-large-rgba-png.json": event(
            "POST",
            "/predict",
            headers={"content-type": "image/png", **raw},
            body=png(canvas),
            binary=True,
            request_id="8b9c0d1e-2f3a-4b4c-9d5e-6f7a8b9c0d1e",
            time_epoch=start,
        ),
        "predict-large-jpeg.json": event(
            "POST",
            "/predict",
            headers={"content-type": "image/jpeg", **raw},
            body=photo.getvalue(),
            binary=True,
            request_id="9c0d1e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2f",
            time_epoch=start + 1000,
        ),
    }


def main() -> None:
    """Write the events next to this script (and the large ones where --large says)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist-dir", default=None, help="MNIST files (default: MNIST_DIR)")
    parser.add_argument("--large", type=Path, help="also write the largest-image events here")
    args = parser.parse_args()
    images = mnist.load(args.mnist_dir).test_images
    written = [(HERE / name, payload) for name, payload in events(images).items()]
    if args.large:
        args.large.mkdir(parents=True, exist_ok=True)
        written += [(args.large / name, payload) for name, payload in large_events(images).items()]
    for path, payload in written:
        path.write_text(json.dumps(payload, indent=2) + "\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
