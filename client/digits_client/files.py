"""Collect the image files named on the command line: files, folders (recursively) and globs.

Order is the order given; a folder's images come sorted by their path inside it. A name that
matches nothing becomes an entry with an error, so that it still gets its line in the output.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path

# What a folder is searched for; a file named explicitly is sent whatever its name.
IMAGE_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".webp", ".heic", ".heif", ".avif", ".gif", ".bmp"}
)
GLOB_CHARACTERS = frozenset("*?[")


@dataclass(frozen=True)
class Entry:
    """One file to predict: its name in the output, its path and size, or why it cannot be sent."""

    name: str
    path: Path | None = None
    size: int = 0
    error: dict | None = None


def collect(arguments: list[str]) -> list[Entry]:
    """Return the entries that ``arguments`` name, in order, folders and globs expanded."""
    entries: list[Entry] = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            entries.extend(_file_entry(p) for p in folder_images(path))
        elif path.exists() or not GLOB_CHARACTERS & set(argument):
            entries.append(_file_entry(path))
        else:
            matches = sorted(glob.glob(argument, recursive=True))
            if not matches:
                entries.append(_failed(argument, "no_such_file", "no file matches this pattern"))
            for match in matches:
                found = Path(match)
                if found.is_dir():
                    entries.extend(_file_entry(p) for p in folder_images(found))
                else:
                    entries.append(_file_entry(found))
    return entries


def folder_images(folder: Path) -> list[Path]:
    """Return the image files under ``folder``, recursively, sorted; hidden ones left out."""
    found = []
    for directory, subdirectories, names in os.walk(folder):
        subdirectories[:] = [d for d in subdirectories if not d.startswith(".")]
        found.extend(
            Path(directory, name)
            for name in names
            if not name.startswith(".") and Path(name).suffix.lower() in IMAGE_SUFFIXES
        )
    return sorted(found, key=lambda p: p.relative_to(folder).parts)


def _file_entry(path: Path) -> Entry:
    name = str(path)
    try:
        stat = path.stat()
    except FileNotFoundError:
        return _failed(name, "no_such_file", "no such file or folder")
    except OSError as error:
        return _failed(name, "unreadable", error.strerror or str(error))
    if not path.is_file():
        return _failed(name, "unreadable", "not a regular file")
    return Entry(name, path, stat.st_size)


def _failed(name: str, code: str, message: str) -> Entry:
    return Entry(name, error={"code": code, "message": message})
