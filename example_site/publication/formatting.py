"""Jinja filters of the site's templates."""

from __future__ import annotations

import datetime

# Spelled out here rather than taken from the locale, so every machine builds the same bytes.
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")  # fmt: skip


def long_date(date: datetime.date) -> str:
    """``3 February 2026``."""
    return f"{date.day} {MONTHS[date.month - 1]} {date.year}"
