"""Size of the Lambda package that `sam build` leaves in .aws-sam/build, unzipped and zipped."""

from __future__ import annotations

import tempfile
import zipfile

from bench.servers import REPO

LAMBDA_BUILD = REPO / ".aws-sam" / "build" / "DigitsFunction"


def lambda_package() -> dict:
    """Return the size of the `sam build` output if it exists, unzipped and zipped."""
    if not LAMBDA_BUILD.is_dir():
        return {"measured": False, "note": "not measured: no .aws-sam/build (run sam build)"}
    files = [p for p in LAMBDA_BUILD.rglob("*") if p.is_file()]
    if not any(p.name == "lambda_handler.py" for p in files):
        # Empty or half-written: a `sam build` is running or failed.
        return {"measured": False, "note": "not measured: .aws-sam/build is incomplete"}
    unzipped = sum(p.stat().st_size for p in files)
    with tempfile.TemporaryFile() as handle:
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in files:
                archive.write(path, path.relative_to(LAMBDA_BUILD))
        zipped = handle.tell()
    return {"measured": True, "unzipped_bytes": unzipped, "zipped_bytes": zipped}
