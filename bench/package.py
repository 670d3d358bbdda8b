"""Size of the Lambda package that `sam build` leaves in .aws-sam/build, unzipped and zipped.

python -m bench.package [BUILD_DIR]    # default .aws-sam/build/DigitsFunction
"""

from __future__ import annotations

import json
import sys
import tempfile
import zipfile
from pathlib import Path

from bench.servers import REPO

LAMBDA_BUILD = REPO / ".aws-sam" / "build" / "DigitsFunction"


def lambda_package(build_dir: Path = LAMBDA_BUILD) -> dict:
    """Return the size of the `sam build` output in ``build_dir``, unzipped and zipped, if any."""
    if not build_dir.is_dir():
        return {"measured": False, "note": "not measured: no .aws-sam/build (run sam build)"}
    files = [p for p in build_dir.rglob("*") if p.is_file()]
    if not any(p.name == "lambda_handler.py" for p in files):
        # Empty or half-written: a `sam build` is running or failed.
        return {"measured": False, "note": "not measured: .aws-sam/build is incomplete"}
    unzipped = sum(p.stat().st_size for p in files)
    with tempfile.TemporaryFile() as handle:
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in files:
                archive.write(path, path.relative_to(build_dir))
        zipped = handle.tell()
    return {"measured": True, "unzipped_bytes": unzipped, "zipped_bytes": zipped}


if __name__ == "__main__":
    print(json.dumps(lambda_package(Path(sys.argv[1]) if len(sys.argv) > 1 else LAMBDA_BUILD)))
