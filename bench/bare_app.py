"""The baseline of bench.http: a bare Litestar app served the same way as the project.

    python -m bench.bare_app --port P

Two routes: `GET /bare/json` (a constant JSON object: what the framework and the server cost
alone) and `GET /bare/row/{code}` (one `SELECT` by primary key of `administrative_units`, with
asyncpg from a pool of CTN_DB_POOL_MIN..CTN_DB_POOL_MAX connections to DATABASE_URL, the
project's scratch database: 404 when there is no such unit). No middleware, no guards, no
transaction, no logging. Served with uvicorn, one worker, and the project's own options
(`backend.server.uvicorn_options(settings)`: the hardened h11 protocol, no access log, …),
settings read from the environment as `ctn serve` reads them.
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information
from litestar import Litestar, get
from litestar.exceptions import NotFoundException

from backend.settings import Settings, load_settings

ROW = (
    "SELECT code, name, division_type, codename, province_code, province_name, updated_at"
    " FROM administrative_units WHERE code = $1"
)
CONSTANT = {"status": "ok", "service": "bare", "items": [1, 2, 3]}


def create_app(settings: Settings) -> Litestar:
    pool: asyncpg.Pool | None = None

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        nonlocal pool
        pool = await asyncpg.create_pool(
            settings.database_url, min_size=settings.db_pool_min, max_size=settings.db_pool_max
        )
        try:
            yield
        finally:
            await pool.close()

    @get("/bare/json")
    async def bare_json() -> dict[str, Any]:
        return CONSTANT

    @get("/bare/row/{code:str}")
    async def bare_row(code: str) -> dict[str, Any]:
        assert pool is not None
        row = await pool.fetchrow(ROW, code)
        if row is None:
            raise NotFoundException()
        return dict(row)

    return Litestar(route_handlers=[bare_json, bare_row], lifespan=[lifespan])


def main() -> None:
    import uvicorn

    from backend.server import configure, uvicorn_options

    parser = argparse.ArgumentParser(prog="python -m bench.bare_app", description=__doc__)
    parser.add_argument("--host", default=None, help="default CTN_HOST, as `ctn serve`")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    settings = load_settings()
    configure(settings)
    uvicorn.run(
        create_app(settings),
        host=args.host or settings.host,
        port=args.port,
        workers=1,
        **uvicorn_options(settings),
    )


if __name__ == "__main__":
    main()
