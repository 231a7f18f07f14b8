"""Synthetic people for benchmarks (`ctn seed --citizens N --civil-servants M`): generated in
the database server in batches, idempotent (a second run adds only what is missing). Never
part of the demo data. The role grants of a load are audited as one entry (counts only), not
one entry per grant."""

from __future__ import annotations

from collections.abc import Callable

from backend.audit.service import do_record
from backend.db import unit_of_work
from backend.identity import repository

SYNTHETIC_PREFIX = repository.SYNTHETIC_PREFIX
BATCH = 200_000


def synthetic_agencies(count: int) -> list[str]:
    return [f"SYN-{i:04d}" for i in range(1, max(count, 1) + 1)]


async def do_load_synthetic_people(
    citizens: int, *, civil_servants: int = 0, agencies: int = 1, echo: Callable[[str], None]
) -> None:
    """`citizens` synthetic people; the first `civil_servants` of them also civil servants of
    `agencies` synthetic agencies (SYN-0001…). Each batch commits on its own."""
    for first in range(1, citizens + 1, BATCH):
        last = min(first + BATCH - 1, citizens)
        async with unit_of_work():
            made = await repository.insert_synthetic_people(first, last)
        echo(f"  people {first:,}–{last:,}: {made:,} new")
    if civil_servants:
        codes = synthetic_agencies(agencies)
        async with unit_of_work():
            for code in codes:
                await repository.upsert_agency(code, f"Cơ quan thử tải {code}", None)
            made = await repository.grant_synthetic_civil_servants(
                min(civil_servants, citizens), codes
            )
            await do_record(
                "identity.synthetic_load",
                actor_id=None,
                reason="benchmark data (ctn seed --civil-servants)",
                details={"civil_servants": made, "agencies": len(codes)},
            )
        echo(f"  civil servants: {made:,} new in {len(codes)} agencies")
