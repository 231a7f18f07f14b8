"""HTTP Range requests (RFC 9110 §14): which byte ranges of an object to send."""

from __future__ import annotations

import re

from content.errors import RangeNotSatisfiable

MAX_RANGES = 16
_SPEC = re.compile(r"^\s*(\d*)\s*-\s*(\d*)\s*$")


def parse_range(header: str | None, size: int) -> list[tuple[int, int]] | None:
    """Inclusive (start, end) pairs to send, or None to send the whole object.

    A header in another unit, or asking for more than `MAX_RANGES` pieces, is ignored (the
    whole object is sent, as RFC 9110 allows). A malformed or unsatisfiable byte range is a
    416 whose `Content-Range` tells the size.
    """
    if not header:
        return None
    unit, _, specs = header.partition("=")
    if unit.strip().lower() != "bytes":
        return None
    pieces = specs.split(",")
    if len(pieces) > MAX_RANGES:
        return None
    ranges: list[tuple[int, int]] = []
    for piece in pieces:
        match = _SPEC.match(piece)
        if not match or not (match.group(1) or match.group(2)):
            raise _unsatisfiable(size)
        first, last = match.group(1), match.group(2)
        if first:
            start = int(first)
            end = min(int(last), size - 1) if last else size - 1
            if last and int(last) < start:
                raise _unsatisfiable(size)
            if start >= size:
                continue
        else:
            suffix = int(last)
            if suffix == 0:
                continue
            start, end = max(size - suffix, 0), size - 1
        ranges.append((start, end))
    if not ranges:
        raise _unsatisfiable(size)
    return ranges


def _unsatisfiable(size: int) -> RangeNotSatisfiable:
    return RangeNotSatisfiable(headers={"Content-Range": f"bytes */{size}"}, size=size)
