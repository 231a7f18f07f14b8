"""The demo province: what `ctn demo` shows on first start and `ctn seed` (re)loads."""

from __future__ import annotations

from collections.abc import Callable

from backend import domains
from backend.db import unit_of_work
from backend.geo.service import do_sync_units
from backend.settings import Settings
from backend.system.service import do_set_state, get_state

SEED_KEY = "demo_seed"
SEED_VERSION = 4


async def load_demo_data(
    settings: Settings, *, only_first_time: bool, echo: Callable[[str], None] = print
) -> bool:
    """Load every domain's demo data in one transaction. Idempotent.

    With `only_first_time`, does nothing when this version of the demo data was loaded before
    (so a restarted demo keeps what people changed). Returns whether anything was loaded.
    """
    async with unit_of_work():
        done = await get_state(SEED_KEY)
        if only_first_time and done and done.get("version") == SEED_VERSION:
            echo("→ demo data already loaded")
            return False
        echo("→ loading demo data")
        steps = domains.demo_steps()
        for index, (name, step) in enumerate(steps, start=1):
            echo(f"  [{index}/{len(steps)}] {name}")
            await step(settings)
        await do_set_state(SEED_KEY, {"version": SEED_VERSION})
    return True


async def administrative_units(settings: Settings) -> object:
    """The province's communes, from the `vietnam-provinces` package."""
    return await do_sync_units(settings.province_code)
