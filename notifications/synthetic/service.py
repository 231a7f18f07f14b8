"""Synthetic notification settings and devices for benchmarks (`ctn seed --citizens N
--devices M`): every synthetic person follows a commune of the province (round robin) and
reads Vietnamese or, for a few, another language; the first M of them have one device each,
already subscribed to its topics. Generated in the database server, idempotent."""

from __future__ import annotations

from collections.abc import Callable

from backend.db import unit_of_work
from backend.geo.service import packaged_units
from backend.identity.service import SYNTHETIC_PREFIX
from backend.settings import Settings
from notifications.synthetic import repository

BATCH = 200_000


async def do_load_synthetic_devices(
    settings: Settings, citizens: int, devices: int, *, echo: Callable[[str], None]
) -> None:
    communes = sorted(unit.code for unit in packaged_units(settings.province_code))
    for first in range(1, citizens + 1, BATCH):
        last = min(first + BATCH - 1, citizens)
        async with unit_of_work():
            made = await repository.insert_profiles(SYNTHETIC_PREFIX, first, last, communes)
        echo(f"  notification settings {first:,}–{last:,}: {made:,} new")
    for first in range(1, min(devices, citizens) + 1, BATCH):
        last = min(first + BATCH - 1, devices, citizens)
        async with unit_of_work():
            made = await repository.insert_devices(SYNTHETIC_PREFIX, first, last)
        echo(f"  devices {first:,}–{last:,}: {made:,} new")
