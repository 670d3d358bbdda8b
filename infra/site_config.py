"""The page's config.js, made here only: where the function answers and the limits it keeps.

``make dev`` serves it for the local function; ``make deploy`` writes it beside the page for the
Function URL. The page checks an upload's size against the function's own body limit before
sending it, and lets a number's label have as many digits as the function reads.
"""

from __future__ import annotations

import json

from digits.config import MAX_DIGITS

CONFIG_JS = "config.js"


def config_js(function_url: str, max_upload_bytes: int) -> str:
    """Return config.js pointing the page at ``function_url`` (no trailing slash)."""
    return (
        "// Made by infra/site_config.py for the function this page calls; not kept in git.\n"
        f"export const FUNCTION_URL = {json.dumps(function_url.rstrip('/'))};\n"
        f"export const MAX_UPLOAD_BYTES = {int(max_upload_bytes)};\n"
        f"export const MAX_DIGITS = {int(MAX_DIGITS)};\n"
    )
