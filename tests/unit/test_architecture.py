"""The function's package shows its architecture: rooms by concern, imports flowing one way.

The HTTP layer sits on top, the core that reads one image below it, the rooms of the core
(imaging, then vision, classifier and storage) below that, settings, errors and boxes at the bottom.
A module may import from its own room or from a lower layer, never from a higher one, and no room
of a layer from another room of the same layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "functions" / "digits"
# Lowest first. Each entry is a room: a top-level module or a sub-package.
LAYERS = (
    ("config", "errors", "box", "deadline", "classes", "deferred_init"),
    ("imaging",),
    ("vision", "classifier", "storage"),
    ("instance",),
    ("recognise", "snapstart"),
    ("http",),
)
LAYER_OF = {room: level for level, rooms in enumerate(LAYERS) for room in rooms}
MAX_TOP_MODULES = 9


def module_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def room_of(path: Path) -> str:
    """Return the room of a file: its sub-package, or its own name at the top."""
    relative = path.relative_to(PACKAGE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def imported_rooms(path: Path) -> set[str]:
    """Return the rooms of digits that ``path`` imports, lazily inside functions too."""
    rooms = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "digits" and len(parts) > 1 and parts[1] in LAYER_OF:
                rooms.add(parts[1])
    return rooms


def test_every_room_has_a_layer():
    rooms = {room_of(path) for path in module_files()} - {"__init__"}
    assert rooms <= set(LAYER_OF), f"rooms without a layer: {sorted(rooms - set(LAYER_OF))}"


def test_at_most_a_few_modules_stay_at_the_top():
    top = [p for p in PACKAGE.glob("*.py") if p.name != "__init__.py"]
    assert len(top) <= MAX_TOP_MODULES, sorted(p.name for p in top)
    assert sum(1 for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()) >= 3


@pytest.mark.parametrize("path", module_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_flow_down(path):
    room = room_of(path)
    if room == "__init__":
        return
    level = LAYER_OF[room]
    wrong = {other for other in imported_rooms(path) if other != room and LAYER_OF[other] >= level}
    assert not wrong, f"{path.relative_to(PACKAGE)} (layer {level}) imports {sorted(wrong)}"


def test_the_walk_sees_an_upward_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def late():\n    from digits.http import api\n")
    assert imported_rooms(bad) == {"http"}
