"""Every constant segmentation proposes by, named and explained in one place.

Segmentation only proposes: which pieces of ink are one digit's strokes, where a piece may be cut,
which neighbours may be one broken digit. The recognizer decides among the proposals (segment.py),
so none of these says how sure the model must be of anything. Sizes are fractions of the line's
height (the tallest upright piece), so they hold whatever the resolution.
"""

from __future__ import annotations

# Ink at least this strong belongs to a piece; fainter ink is a stroke's antialiased edge.
MASK_LEVEL = 0.3
# Digits are segmented at least SEGMENT_HEIGHT pixels tall when the image has that many.
SEGMENT_HEIGHT = 48
# Ink in one run of columns at most NARROW times as wide as it is tall is read whole, as one
# digit or as not a digit: two digits side by side are wider than that.
NARROW = 0.8

# Pieces under MINOR of the line's height both ways are specks, dots or stroke fragments: they
# join the digit whose columns hold them, or are dropped.
MINOR = 0.3
# Pieces overlapping horizontally by OVERLAP of the narrower one are strokes of one digit.
OVERLAP = 0.5
# A piece FLAT times as tall as it is wide or flatter, at least UNDERLINE_WIDTH wide and lower
# than the middle of the line, is an underline.
FLAT = 0.25
UNDERLINE_WIDTH = 1.0
# Groups or parts shorter than SHORT are not digits on their own (a dash, a comma, a fragment).
SHORT = 0.45

# A part wider than CUT_WIDTH may be digits that touch. Cuts are tried along the cheapest path
# ending in each stretch of CUT_SPACING, at least MIN_PART from either side; the MAX_CUTS
# cheapest are kept. A side of a cut that is wide itself is cut again, up to MAX_CUT_DEPTH times.
CUT_WIDTH = 0.6
CUT_SPACING = 0.15
MIN_PART = 0.12
MAX_CUTS = 8
MAX_CUT_DEPTH = 2
# A dip of the outline at least VALLEY_DEPTH deep, above and below, marks two digits touching;
# dips are looked for within VALLEY_REACH either side.
VALLEY_DEPTH = 0.05
VALLEY_REACH = 0.3
# A cut may drift one column per row; each drift costs this much (in units of full-strength ink).
DRIFT_COST = 0.1
# Groups at most MERGE_GAP apart may be one digit broken in two, if together they are no wider
# than MERGE_WIDTH: wider than tall, as a 5 whose bar was written apart and reaches past its body.
MERGE_GAP = 0.06
MERGE_WIDTH = 1.5
