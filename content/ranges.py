"""HTTP Range requests (RFC 9110 §14): which byte ranges of an object to send.

What is sent never exceeds the object once: overlapping and adjacent ranges (and ranges a
few bytes apart, where a part header would cost more than the gap) are coalesced, as RFC 9110
§14.2 allows, so `bytes=0-,0-,0-…` is one part of the object, not sixteen copies of it.
"""

from __future__ import annotations

import re

from content.errors import RangeNotSatisfiable

MAX_RANGES = 8
"""More range-specs than this are a broken client or a deliberate attack (RFC 9110 §14.2):
the header is ignored and the whole object sent once (200)."""
COALESCE_GAP = 64
"""Ranges separated by fewer bytes than this are sent as one part (a multipart part header
costs about this much)."""
_SPEC = re.compile(r"^\s*(\d*)\s*-\s*(\d*)\s*$")


def parse_range(header: str | None, size: int) -> list[tuple[int, int]] | None:
    """Inclusive (start, end) pairs to send, or None to send the whole object (200).

    A header in another unit, or with more than `MAX_RANGES` range-specs, is ignored (the
    whole object is sent, as RFC 9110 allows). A malformed range, or one whose every range is
    unsatisfiable, is a 416 whose `Content-Range` tells the size. Unsatisfiable ranges among
    satisfiable ones are dropped. The ranges left are coalesced where they overlap, touch or
    nearly touch; the parts keep the order in which the client first asked for them.
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
    return coalesce(ranges)


def coalesce(ranges: list[tuple[int, int]], gap: int = COALESCE_GAP) -> list[tuple[int, int]]:
    """Merge ranges that overlap or are fewer than `gap` bytes apart; each merged range takes
    the place of the first of its members the client asked for."""
    order = sorted(range(len(ranges)), key=lambda i: ranges[i])
    merged: list[list[int]] = []  # [start, end, first position asked]
    for i in order:
        start, end = ranges[i]
        if merged and start <= merged[-1][1] + 1 + gap:
            last = merged[-1]
            last[1] = max(last[1], end)
            last[2] = min(last[2], i)
        else:
            merged.append([start, end, i])
    merged.sort(key=lambda item: item[2])
    return [(start, end) for start, end, _ in merged]


def _unsatisfiable(size: int) -> RangeNotSatisfiable:
    return RangeNotSatisfiable(headers={"Content-Range": f"bytes */{size}"}, size=size)
