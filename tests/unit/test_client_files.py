"""digits_client.files and digits_client.batching: which files, in what order, in which batches."""

from pathlib import Path

import pytest

from digits_client import batching
from digits_client.files import Entry, collect, folder_images


@pytest.fixture
def tree(tmp_path, monkeypatch) -> Path:
    """A folder of images, a subfolder, a hidden file and folder, and a note that is no image."""
    for name in ("b.png", "a.jpg", "sub/c.PNG", "sub/deeper/d.webp", ".hidden.png", ".git/e.png"):
        path = tmp_path / "scans" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 10)
    (tmp_path / "scans" / "notes.txt").write_text("not an image")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def names(entries: list[Entry]) -> list[str]:
    return [entry.name for entry in entries]


def test_a_folder_gives_its_images_recursively_sorted_without_hidden_ones(tree):
    assert names(collect(["scans"])) == [
        "scans/a.jpg",
        "scans/b.png",
        "scans/sub/c.PNG",
        "scans/sub/deeper/d.webp",
    ]


def test_arguments_keep_their_order_and_a_named_file_is_sent_whatever_its_suffix(tree):
    entries = collect(["scans/notes.txt", "scans/sub", "scans/b.png"])
    assert names(entries) == [
        "scans/notes.txt",
        "scans/sub/c.PNG",
        "scans/sub/deeper/d.webp",
        "scans/b.png",
    ]
    assert all(entry.error is None and entry.size > 0 for entry in entries)


def test_a_glob_is_expanded_sorted_and_its_folders_walked(tree):
    assert names(collect(["scans/*.png"])) == ["scans/b.png"]
    assert names(collect(["scans/**/*.png"])) == ["scans/b.png"]
    assert names(collect(["scans/s*"])) == ["scans/sub/c.PNG", "scans/sub/deeper/d.webp"]


@pytest.mark.parametrize(
    ("argument", "code"),
    [
        ("missing.png", "no_such_file"),
        ("scans/*.gif", "no_such_file"),
        ("nowhere/*", "no_such_file"),
    ],
)
def test_a_name_that_matches_nothing_keeps_its_place_with_an_error(tree, argument, code):
    entries = collect(["scans/b.png", argument, "scans/a.jpg"])
    assert names(entries) == ["scans/b.png", argument, "scans/a.jpg"]
    assert entries[1].path is None
    assert entries[1].error["code"] == code


def test_folder_images_sorts_by_path_inside_the_folder(tmp_path):
    for name in ("z/1.png", "a.png", "m.png", "b/2.png"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    found = [p.relative_to(tmp_path).as_posix() for p in folder_images(tmp_path)]
    assert found == ["a.png", "b/2.png", "m.png", "z/1.png"]


def entry(size: int, name: str = "x.png") -> Entry:
    return Entry(name, Path(name), size)


def test_batches_hold_at_most_the_image_limit_in_order():
    entries = [entry(100) for _ in range(70)]
    batches = batching.plan(entries, max_images=32)
    assert [len(b) for b in batches] == [32, 32, 6]
    assert [i for b in batches for i in b] == list(range(70))


def test_batches_stay_under_the_body_limit():
    entries = [entry(400_000) for _ in range(25)]
    limit = 4 * 1024 * 1024
    batches = batching.plan(entries, max_body=limit)
    assert [len(b) for b in batches] == [10, 10, 5]
    for batch in batches:
        framed = batching.BODY_OVERHEAD + sum(batching.part_bytes(entries[i]) for i in batch)
        assert framed <= limit


def test_files_with_an_error_or_too_large_alone_are_left_out_of_the_batches():
    limit = 10_000
    entries = [
        entry(10),
        Entry("gone.png", error={"code": "no_such_file", "message": "no such file"}),
        entry(limit),
        entry(20),
    ]
    assert not batching.fits_alone(entries[2], limit)
    assert batching.plan(entries, max_body=limit) == [[0, 3]]


def test_only_the_file_name_is_sent_never_its_folders():
    assert batching.entry_filename(Entry("a/b/c.png", Path("a/b/c.png"), 1)) == "c.png"
