"""Command-line client of the digits function: ``digits predict`` and ``digits feedback``."""
