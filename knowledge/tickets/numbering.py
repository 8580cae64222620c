"""Ticket numbers: `TS-20261120-0007`, the seventh ticket of that local day.

The sequence per day is kept in the database (`ticket_numbers`), taken inside the same
transaction that inserts the ticket, so two tickets never share a number; a day past
9999 tickets simply gets longer numbers.
"""

from __future__ import annotations

import re
import unicodedata

PREFIX = "TS"
_NUMBER = re.compile(r"^TS-?(\d{8})-?(\d{4,})$")


def format_number(day: str, sequence: int) -> str:
    """`format_number('20261120', 7)` → 'TS-20261120-0007'."""
    return f"{PREFIX}-{day}-{sequence:04d}"


_SEQUENCE = re.compile(r"^(?:TS-?)?(?:(\d{8})-?)?(\d{1,4})$")


def parse_sequence(text: str) -> tuple[str | None, int] | None:
    """A short number staff type (`7`, `0007`, `20261120-7`): (day or None, sequence),
    or None. The full form is parse_number's."""
    value = "".join(unicodedata.normalize("NFKC", text).split()).upper()
    found = _SEQUENCE.match(value)
    if not found or int(found[2]) == 0:
        return None
    return found[1], int(found[2])


def parse_number(text: str) -> str | None:
    """A number as people type it ('ts20261120-7' is not accepted: 4 digits at least;
    full-width and spaces are forgiven) in canonical form, or None."""
    value = "".join(unicodedata.normalize("NFKC", text).split()).upper()
    found = _NUMBER.match(value)
    return f"{PREFIX}-{found[1]}-{found[2]}" if found else None
