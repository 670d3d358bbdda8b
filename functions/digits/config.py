"""Settings, read from the environment only, and the limits every part reads from here alone.

Every variable has a default (README lists them). The page learns the limits it shows from
config.js, which infra/site_config.py makes from these; the command-line client packs its
batches by them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MODEL_PATH = Path(__file__).resolve().parents[2] / "model" / "model.joblib"
DEFAULT_BUCKET = "digits-images"
# Where make dev serves the function and the page on loopback (FUNCTION_PORT, SITE_PORT).
DEFAULT_FUNCTION_PORT = 8080
DEFAULT_SITE_PORT = 8000
# Lambda refuses invocations over 6 MB, and binary bodies arrive base64-encoded (x4/3): 4 MiB
# (5.6 MB in the event) is a limit the function itself can always enforce with a JSON 413, on
# Lambda and locally alike. The page reads it from config.js and checks uploads before sending.
DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000
# The link in an answer to the stored image lasts minutes: long enough to look, not to share.
DEFAULT_URL_SECONDS = 600
# Images one POST /predict/batch may hold.
MAX_BATCH_IMAGES = 32
# S3 puts one batch makes at once (the S3 client keeps as many connections): a put is a wait on
# the network, and overlapping them is most of what a batch saves (bench/cost.py).
BATCH_PUTS = 16
# The function's memory and timeout: template.yaml's MemorySize and Timeout are the one source
# (infra/runtime.py reads them; a test holds these defaults to them). On Lambda, the memory is
# read from AWS_LAMBDA_FUNCTION_MEMORY_SIZE, which Lambda sets from MemorySize, and the time left
# from the invocation's context; elsewhere (make dev, tests) these stand in for them.
DEFAULT_MEMORY_MB = 1024
DEFAULT_TIMEOUT_SECONDS = 30
# Digits read in one image; a label of a number has at most as many.
MAX_DIGITS = 12


def function_port(env: dict[str, str] | None = None) -> int:
    """Return the port make dev serves the function on (FUNCTION_PORT)."""
    env = os.environ if env is None else env
    return int(env.get("FUNCTION_PORT", DEFAULT_FUNCTION_PORT))


def site_port(env: dict[str, str] | None = None) -> int:
    """Return the port make dev serves the page on (SITE_PORT)."""
    env = os.environ if env is None else env
    return int(env.get("SITE_PORT", DEFAULT_SITE_PORT))


@dataclass(frozen=True)
class Settings:
    """What the function is configured with."""

    images_bucket: str
    allowed_origins: tuple[str, ...]
    model_path: Path
    max_body_bytes: int
    max_pixels: int
    presigned_url_seconds: int
    s3_connect_timeout: float
    s3_read_timeout: float
    s3_max_attempts: int
    memory_mb: int = DEFAULT_MEMORY_MB
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Read settings from ``env`` (default: os.environ)."""
        env = os.environ if env is None else env
        page = site_port(env)
        default_origins = f"http://127.0.0.1:{page},http://localhost:{page}"
        origins = env.get("ALLOWED_ORIGINS", default_origins)
        return cls(
            images_bucket=env.get("IMAGES_BUCKET", DEFAULT_BUCKET),
            allowed_origins=tuple(o.strip().rstrip("/") for o in origins.split(",") if o.strip()),
            model_path=Path(env.get("MODEL_PATH", DEFAULT_MODEL_PATH)),
            max_body_bytes=int(env.get("MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)),
            max_pixels=int(env.get("MAX_PIXELS", DEFAULT_MAX_PIXELS)),
            presigned_url_seconds=int(env.get("PRESIGNED_URL_SECONDS", DEFAULT_URL_SECONDS)),
            s3_connect_timeout=float(env.get("S3_CONNECT_TIMEOUT", 2)),
            s3_read_timeout=float(env.get("S3_READ_TIMEOUT", 5)),
            s3_max_attempts=int(env.get("S3_MAX_ATTEMPTS", 3)),
            memory_mb=int(env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", DEFAULT_MEMORY_MB)),
            timeout_seconds=float(env.get("FUNCTION_TIMEOUT", DEFAULT_TIMEOUT_SECONDS)),
        )
