"""Letters and symbols from fonts, made to look written: bent, then redrawn with one pen.

Fonts are model.printed's: TRAIN_FONTS for training, TEST_FONTS for the bench only. A character
is used in a font only if the font's glyph for it is the one its name says: the Computer Modern
TTFs put other glyphs at some ASCII places (their "<" is an inverted "!").
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
from fontTools import agl
from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont

from model.pen import bend, crop_to_ink, enlarge, retrace, thicken
from model.printed import font_dir

# Characters that, written by hand, pass for the digit they are listed under. They are never
# generated: labelled "not a digit", they would teach the model to refuse real digits.
LOOKS_LIKE_A_DIGIT = {
    # A closed oval, with or without a bar; an oval open at the top or the bottom, or with a
    # tail (MNIST's zeros the first model refused were written so).
    "0": "OoQDθΘΦφØø°UunVvd",
    # A stroke near vertical, maybe with a flag, a foot, a dot or a slight curve: a bracket or
    # a parenthesis written alone is a 1 as often as not.
    "1": "IlijJ|!¡/\\↑↓r()[]{}",
    "2": "Zz?",  # a hook over a diagonal (the dot of "?" is easily lost)
    "3": "Ξ",  # three bars that touch are a 3 (or an 8)
    "4": "YyΨψLhH",  # two arms over a stem: the open 4; a 4 whose right arm is short is an L
    "5": "Ss§",
    "6": "bGδ",  # a stem over a loop
    "7": "Tt",  # a T with a short left arm is a 7, with short arms a 1 with a flag
    "8": "Bβ",
    # A loop over a stem, as a single-storey "a" is; a P is a 9 with its loop on the other side.
    "9": "gqa\N{GREEK SMALL LETTER ALPHA}Pp",
}
EXCLUDED = "".join(LOOKS_LIKE_A_DIGIT.values())
LETTERS = "".join(
    c
    for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyzΔΛΠΣΨΞλπμψω"
    if c not in EXCLUDED
)
SYMBOLS = "".join(
    c for c in "+#&@%$*=<>~€£✓★☆→←\N{MULTIPLICATION SIGN}÷±≠≈∞©®¢^" if c not in EXCLUDED
)
# The glyph's longer side in pixels, and the pen's width as a share of it (thin to marker).
GLYPH_SIDE = (40, 150)
PEN_SHARE = (0.04, 0.16)
FONT_SIZE_STEP = 8
# Glyphs are bent and retraced at most this many pixels long, then enlarged to their size: the
# same look for a fraction of the work.
WORK_SIDE = 64


@functools.cache
def available(font: str, chars: str) -> str:
    """Return the characters of ``chars`` that ``font`` (a file in font_dir) draws as named."""
    with TTFont(str(font_dir() / font), lazy=True) as face:
        cmap = face.getBestCmap()
    return "".join(
        c
        for c in chars
        if ord(c) in cmap and cmap[ord(c)] in (agl.UV2AGL.get(ord(c)), f"uni{ord(c):04X}")
    )


@functools.cache
def _face(font: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_dir() / font), size)


def render(char: str, font: str, size: int) -> np.ndarray:
    """Return the ink crop of ``char`` printed in ``font`` at ``size`` points (one pixel each)."""
    face = _face(font, size)
    left, top, right, bottom = face.getbbox(char)
    image = Image.new("L", (right - left + 4, bottom - top + 4), 0)
    ImageDraw.Draw(image).text((2 - left, 2 - top), char, fill=255, font=face)
    return crop_to_ink(np.asarray(image, dtype=np.float32) / 255)


def written(char: str, font: str, rng: np.random.Generator) -> np.ndarray:
    """Return ``char`` from ``font`` as a hand might draw it: bent, then with a pen of one width."""
    side = float(np.exp(rng.uniform(*np.log(GLYPH_SIDE))))
    work = min(side, WORK_SIDE)
    # A glyph is about three quarters of its font size long: render near the size wanted.
    size = max(FONT_SIZE_STEP, round(work / 0.75 / FONT_SIZE_STEP) * FONT_SIZE_STEP)
    glyph = render(char, font, size)
    if glyph.size:
        glyph = bend(glyph, rng, rng.uniform(0.5, 1.5))
    if glyph.size == 0:
        return glyph
    pen = rng.uniform(*PEN_SHARE) * max(glyph.shape)
    style = rng.random()
    if style < 0.7:
        glyph = retrace(glyph, pen)
    elif style < 0.85:
        glyph = thicken(glyph, pen / 4)
    return enlarge(glyph, side / max(glyph.shape)) if side > work else glyph


def glyphs(n: int, rng: np.random.Generator, chars: str, fonts: Sequence[str]) -> list[np.ndarray]:
    """Return ``n`` written-looking ink crops of random ``chars`` in random ``fonts``."""
    by_font = {font: available(font, chars) for font in fonts}
    by_font = {font: found for font, found in by_font.items() if found}
    names = sorted(by_font)
    out: list[np.ndarray] = []
    while len(out) < n:
        font = names[int(rng.integers(len(names)))]
        char = by_font[font][int(rng.integers(len(by_font[font])))]
        crop = written(char, font, rng)
        if crop.size:
            out.append(crop)
    return out


def letters(n: int, rng: np.random.Generator, fonts: Sequence[str]) -> list[np.ndarray]:
    """Return ``n`` written-looking letters that do not pass for digits."""
    return glyphs(n, rng, LETTERS, fonts)


def symbols(n: int, rng: np.random.Generator, fonts: Sequence[str]) -> list[np.ndarray]:
    """Return ``n`` written-looking symbols that do not pass for digits."""
    return glyphs(n, rng, SYMBOLS, fonts)
