"""Where something lies in an image: one box type from segmentation to the answer and storage."""

from __future__ import annotations

from dataclasses import dataclass

FIELDS = ("x", "y", "width", "height")


@dataclass(frozen=True)
class Box:
    """A rectangle of whole pixels: left edge ``x``, top edge ``y``, ``width`` and ``height``.

    Which pixels it counts in (a work copy's, the decoded image's, the sent image's) is said where
    a box is made and changed only by ``scaled`` and ``offset``.
    """

    x: int
    y: int
    width: int
    height: int

    @property
    def right(self) -> int:
        """Return the column just past the box."""
        return self.x + self.width

    @property
    def bottom(self) -> int:
        """Return the row just past the box."""
        return self.y + self.height

    @classmethod
    def from_edges(cls, left: int, top: int, right: int, bottom: int) -> Box:
        """Return the box from its edges (right and bottom exclusive)."""
        return cls(int(left), int(top), int(right - left), int(bottom - top))

    def offset(self, across: int, down: int) -> Box:
        """Return the box moved by ``across`` and ``down`` pixels."""
        return Box(self.x + across, self.y + down, self.width, self.height)

    def scaled(self, across: float, down: float) -> Box:
        """Return the box in pixels ``across`` and ``down`` times as small as this box's.

        Edges round down, sizes to the nearest pixel and never below one.
        """
        return Box(
            int(self.x * across),
            int(self.y * down),
            max(1, round(self.width * across)),
            max(1, round(self.height * down)),
        )

    def within(self, width: int, height: int) -> Box:
        """Return the box cut to an image of ``width`` x ``height``, never empty."""
        left, top = min(self.x, width - 1), min(self.y, height - 1)
        right, bottom = min(self.right, width), min(self.bottom, height)
        return Box(left, top, max(1, right - left), max(1, bottom - top))

    def to_dict(self) -> dict[str, int]:
        """Return the box as the answer's JSON shows it."""
        return {"x": self.x, "y": self.y, "width": self.width, "height": self.height}

    def to_text(self) -> str:
        """Return the box as "x,y,width,height", the form S3 metadata keeps."""
        return ",".join(str(v) for v in (self.x, self.y, self.width, self.height))

    @classmethod
    def from_text(cls, text: str) -> Box:
        """Return the box ``to_text`` wrote; ValueError if ``text`` is not one."""
        values = [int(v) for v in text.split(",")]
        if len(values) != len(FIELDS):
            raise ValueError(f"a box has {len(FIELDS)} numbers, not {text!r}")
        return cls(*values)
