"""The function before issue 21's recognizer and before issue 22's photo work, loaded from git
beside today's, each reads a digit."""

import subprocess
import sys

from bench import before_photos, before_recognizer, servers
from tests.images import encode
from tests.unit.drawn import grey


def _has_base() -> bool:
    found = subprocess.run(
        ["git", "-C", str(servers.REPO), "cat-file", "-e", f"{before_recognizer.BASE}^{{commit}}"],
        capture_output=True,
        check=False,
    )
    return found.returncode == 0


def test_the_function_before_the_recognizer_reads_a_digit_with_its_own_code():
    before_recognizer.reader.cache_clear()
    loaded = before_recognizer.reader(40_000_000)
    if not _has_base():  # a shallow clone: nothing to load, and the figure is not measured
        assert loaded is None
        return
    decode, read = loaded
    digits = read(decode(encode(grey(), "PNG")))
    assert len(digits) == 1
    assert 0 <= digits[0].prediction.digit <= 9
    # Its modules are its own: none of them is today's package under another name.
    base_modules = [m for m in sys.modules if m.startswith(before_recognizer.PACKAGE)]
    assert base_modules
    assert all(
        "before-recognizer-" in (getattr(sys.modules[m], "__file__", "") or "")
        for m in base_modules
    )


def test_without_the_commit_there_is_nothing_to_load(monkeypatch):
    before_recognizer.reader.cache_clear()
    monkeypatch.setattr(before_recognizer, "BASE", "0" * 40)
    try:
        assert before_recognizer.reader(40_000_000) is None
    finally:
        before_recognizer.reader.cache_clear()


def test_the_function_before_the_photo_work_reads_a_digit_under_its_own_name():
    read = before_photos.reader(40_000_000)
    if read is None:  # a shallow clone: nothing to load, and the figure is not measured
        return
    assert read(encode(grey(), "PNG")).isdigit()
    modules = [m for m in sys.modules if m.startswith(before_photos.PACKAGE)]
    assert modules
    assert all("before-photos-" in (getattr(sys.modules[m], "__file__", "") or "") for m in modules)
