"""Lambda's facts from template.yaml (Python version, memory, timeout); a Python of that version.

Standard library only, so infra/Makefile can run it as a script while `sam build` makes the package:
``python3 infra/runtime.py --version`` prints the version, ``python3 infra/runtime.py`` the path of
an interpreter of that version (exit 1 without one).
"""

from __future__ import annotations

import glob
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def runtime_version(template: Path = REPO / "template.yaml") -> str:
    """Return the function's Python version from template.yaml, e.g. "3.13"."""
    match = re.search(r"^\s*Runtime:\s*python(3\.\d+)\s*$", template.read_text(), re.MULTILINE)
    if match is None:
        raise ValueError(f"no python Runtime in {template}")
    return match[1]


def memory_size(template: Path = REPO / "template.yaml") -> int:
    """Return the function's MemorySize in MB from template.yaml."""
    return int(_property("MemorySize", r"\d+", template))


def timeout_seconds(template: Path = REPO / "template.yaml") -> int:
    """Return the function's Timeout in seconds from template.yaml."""
    return int(_property("Timeout", r"\d+", template))


def _property(name: str, pattern: str, template: Path) -> str:
    match = re.search(rf"^\s*{name}:\s*({pattern})\s*$", template.read_text(), re.MULTILINE)
    if match is None:
        raise ValueError(f"no {name} in {template}")
    return match[1]


def find_python(version: str) -> str | None:
    """Return an interpreter of this exact version (PATH, then pyenv's versions), or None."""
    candidates = [f"python{version}"]
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += sorted(
        glob.glob(str(pyenv_root / "versions" / f"{version}.*" / "bin" / "python3"))
    )
    for candidate in candidates:
        try:
            answer = subprocess.run(
                [candidate, "-c", "import sys; print(sys.version_info[:2])"],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if answer.returncode == 0 and answer.stdout.strip() == str(
            tuple(map(int, version.split(".")))
        ):
            return candidate
    return None


if __name__ == "__main__":
    if sys.argv[1:] == ["--version"]:
        print(runtime_version())
        sys.exit(0)
    found = find_python(sys.argv[1] if len(sys.argv) > 1 else runtime_version())
    if found is None:
        sys.exit(1)
    print(found)
