"""Crime-report benchmark: the police queue and report submission over HTTP against a real
`ctn serve`, side by side with baselines of the same server measured in the same run.

    python -m bench.tips [--reports 1000] [--rounds 3] [--seconds 5] [--concurrency 16] [--quick]

A scratch database `ctn_bench_tips` (see bench/upload.py's `database`: `DATABASE_URL` if set,
else 127.0.0.1:5432, else a private PostgreSQL) is migrated and loaded, through the services,
with `--reports` reports in one police unit (confidential ones, a tenth anonymous, a third
triaged at several urgencies). Then one `ctn serve` process answers, round after round, each
row for `--seconds` at `--concurrency` requests in flight (httpx, one client process):

- reads: `GET /api/v1/me` (the baseline: a signed-in read of one row), the queue's first page
  (`GET /api/v1/police/tips`), its counts, one report (decrypted, audited: `tip.read`), and a
  search of words in the decrypted content (bounded to `CTN_TIPS_SEARCH_SCAN_LIMIT` reports
  per request, audited);
- writes: `PUT /api/v1/notification-settings` (the baseline: a signed-in one-row upsert), a
  confidential report (`POST /api/v1/tips` with a bearer token: content sealed under a new data
  key, routed, its unit notified), and an anonymous one (the app's two requests: a challenge,
  then the report with the solved proof of work — difficulty lowered to 8 so that the client
  is not what is measured — and a receipt hashed with argon2id).

It prints requests per second, p50 / p99 latency, the server's CPU time per request, and each
row's rate and CPU per request against its baseline's. The queue grows while the submission
rows run: the listing rows of later rounds read a longer queue (its first page, by index).
Read the ratios: the machine is shared, and the client (Python) is near its own ceiling on
the cheapest rows.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import upload as common
from bench.common import cpu_seconds, process_tree

UNIT = "BENCH-TIPS"
COMMUNE = "05443"
DIFFICULTY = 8

Call = Callable[[Any], Awaitable[int]]
"""One request of a row, given the HTTP client; answers its status."""


# --- the data ------------------------------------------------------------------------------------


@dataclass
class People:
    officer: uuid.UUID
    citizen: uuid.UUID


def report_body(n: int, *, anonymous: bool) -> dict[str, Any]:
    words = ("xe máy", "ma túy", "cờ bạc", "lừa đảo", "trộm cắp", "đánh nhau")
    return {
        "anonymous": anonymous,
        "offences": [("theft", "drugs", "gambling", "fraud", "theft", "violence")[n % 6]],
        "description": (
            f"Tin báo số {n}: có người {words[n % len(words)]} ở tổ {n % 40 + 1},"
            " thường vào buổi tối. Đề nghị công an kiểm tra."
        ),
        "incident_time": {"kind": "unknown"},
        "place": {"commune_code": COMMUNE, "address": f"Ngõ {n % 90 + 1}, tổ {n % 40 + 1}"},
    }


async def load(settings: Any, reports: int) -> People:
    """The unit, its officer, a citizen and the reports, through the services."""
    import msgspec

    from backend.access import Principal, Role
    from backend.db import unit_of_work
    from backend.identity.schemas import PoliceUnit
    from backend.identity.service import (
        do_grant_role,
        do_provision_person,
        do_upsert_police_unit,
    )
    from backend.tips import challenge, citizen, police
    from backend.tips.citizen_schemas import TipCreate
    from backend.tips.workflow import Urgency

    local = msgspec.structs.replace(
        settings, tips_pow_difficulty=0, tips_anonymous_per_address=10**9
    )
    async with unit_of_work():
        await do_upsert_police_unit(
            PoliceUnit(code=UNIT, name="Đơn vị benchmark tin báo", communes=[COMMUNE])
        )
        officer = await do_provision_person(
            f"0{secrets.randbelow(10**11):011d}", "Cán bộ công an (benchmark)"
        )
        await do_grant_role(
            officer.id,
            Role.POLICE_SUPERVISOR,
            granted_by=None,
            reason="tips benchmark",
            police_unit=UNIT,
        )
        person = await do_provision_person(f"0{secrets.randbelow(10**11):011d}", "Công dân")
    reporter = Principal(id=person.id, roles=frozenset({Role.CITIZEN.value}))
    supervisor = Principal(
        id=officer.id,
        roles=frozenset({Role.CITIZEN.value, Role.POLICE_SUPERVISOR.value}),
        police_units=frozenset({UNIT}),
    )
    urgencies = (Urgency.LOW, Urgency.NORMAL, Urgency.HIGH, Urgency.EMERGENCY)
    started = time.perf_counter()
    batch = 50
    for first in range(0, reports, batch):
        async with unit_of_work():
            for n in range(first, min(first + batch, reports)):
                anonymous = n % 10 == 0
                body = report_body(n, anonymous=anonymous)
                if anonymous:
                    issued = challenge.issue(local)
                    body["proof"] = {
                        "challenge": issued.challenge,
                        "nonce": challenge.solve(issued.challenge, issued.difficulty),
                    }
                submitted = await citizen.do_submit_tip(
                    local,
                    msgspec.convert(body, TipCreate),
                    reporter=None if anonymous else reporter,
                    client_address=None,
                )
                if n % 3 == 0 and not anonymous:
                    found = await citizen.access_own_tip(reporter, submitted.reference)
                    await police.do_triage(
                        supervisor,
                        found.tip.id,
                        urgencies[n % len(urgencies)],
                        expected_version=found.tip.version,
                    )
    print(
        f"loaded {reports} reports through the services in {time.perf_counter() - started:.1f} s"
        f" (unit {UNIT}, commune {COMMUNE})"
    )
    return People(officer=officer.id, citizen=person.id)


# --- the load ------------------------------------------------------------------------------------


@dataclass
class Sample:
    requests: int = 0
    errors: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    cpu: float = 0.0


@dataclass
class Row:
    label: str
    call: Call
    baseline: str | None
    """The label of the row this one is compared with."""
    samples: list[Sample] = field(default_factory=list)


async def drive(call: Call, *, url: str, seconds: float, concurrency: int, pid: int) -> Sample:
    """`concurrency` loops calling for `seconds`; the server's CPU time meanwhile."""
    import httpx

    sample = Sample()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        await call(client)  # warm: connections, caches
        tree = process_tree(pid)
        cpu_before = cpu_seconds(tree)
        started = time.perf_counter()
        deadline = started + seconds

        async def loop() -> None:
            while time.perf_counter() < deadline:
                begun = time.perf_counter()
                status = await call(client)
                sample.latencies.append(time.perf_counter() - begun)
                sample.requests += 1
                if status >= 400:
                    sample.errors[status] = sample.errors.get(status, 0) + 1

        await asyncio.gather(*(loop() for _ in range(concurrency)))
        sample.seconds = time.perf_counter() - started
        sample.cpu = cpu_seconds(tree) - cpu_before
    return sample


def rows(tokens: dict[str, str], tip_ids: list[uuid.UUID]) -> list[Row]:
    from backend.tips.challenge import solve

    officer = {"Authorization": f"Bearer {tokens['officer']}"}
    citizen = {"Authorization": f"Bearer {tokens['citizen']}"}
    counter = {"n": 0}

    def next_number() -> int:
        counter["n"] += 1
        return 10**6 + counter["n"]

    async def me(client: Any) -> int:
        return int((await client.get("/api/v1/me", headers=officer)).status_code)

    async def queue(client: Any) -> int:
        answer = await client.get("/api/v1/police/tips", headers=officer, params={"limit": 20})
        return int(answer.status_code)

    async def counts(client: Any) -> int:
        return int((await client.get("/api/v1/police/tips/counts", headers=officer)).status_code)

    async def one_report(client: Any) -> int:
        tip_id = tip_ids[next_number() % len(tip_ids)]
        return int((await client.get(f"/api/v1/police/tips/{tip_id}", headers=officer)).status_code)

    async def search(client: Any) -> int:
        answer = await client.get(
            "/api/v1/police/tips", headers=officer, params={"q": "đánh nhau tổ 7", "limit": 20}
        )
        return int(answer.status_code)

    async def settings_write(client: Any) -> int:
        answer = await client.put(
            "/api/v1/notification-settings",
            headers=citizen,
            json={"commune_code": COMMUNE, "language": "vi", "muted_categories": []},
        )
        return int(answer.status_code)

    async def confidential(client: Any) -> int:
        body = report_body(next_number(), anonymous=False)
        return int((await client.post("/api/v1/tips", headers=citizen, json=body)).status_code)

    async def anonymous(client: Any) -> int:
        issued = await client.get("/api/v1/tips/challenge")
        if issued.status_code != 200:
            return int(issued.status_code)
        found = issued.json()
        body = report_body(next_number(), anonymous=True)
        body["proof"] = {
            "challenge": found["challenge"],
            "nonce": solve(found["challenge"], found["difficulty"]),
        }
        return int((await client.post("/api/v1/tips", json=body)).status_code)

    me_label = "GET /api/v1/me (baseline read)"
    write_label = "PUT /api/v1/notification-settings (baseline write)"
    return [
        Row(me_label, me, None),
        Row("GET /api/v1/police/tips (queue, first page)", queue, me_label),
        Row("GET /api/v1/police/tips/counts", counts, me_label),
        Row("GET /api/v1/police/tips/{id} (decrypted, audited)", one_report, me_label),
        Row("GET /api/v1/police/tips?q=… (content search, audited)", search, me_label),
        Row(write_label, settings_write, None),
        Row("POST /api/v1/tips confidential", confidential, write_label),
        Row("challenge + POST /api/v1/tips anonymous", anonymous, write_label),
    ]


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def summary(row: Row) -> tuple[float, float, float, float, int, dict[int, int]]:
    """(req/s median over rounds, p50 ms, p99 ms, server CPU ms per request, requests, errors)."""
    rates = [s.requests / s.seconds for s in row.samples if s.seconds]
    latencies = [x for s in row.samples for x in s.latencies]
    requests = sum(s.requests for s in row.samples)
    cpu = sum(s.cpu for s in row.samples)
    errors: dict[int, int] = {}
    for s in row.samples:
        for status, n in s.errors.items():
            errors[status] = errors.get(status, 0) + n
    return (
        statistics.median(rates) if rates else 0.0,
        percentile(latencies, 0.5) * 1000,
        percentile(latencies, 0.99) * 1000,
        cpu / requests * 1000 if requests else 0.0,
        requests,
        errors,
    )


def print_table(table: list[Row], args: argparse.Namespace) -> None:
    by_label = {row.label: summary(row) for row in table}
    print()
    print(
        f"{args.rounds} round(s) × {args.seconds:g} s per row, {args.concurrency} requests in"
        " flight, one `ctn serve` process"
    )
    header = (
        f"{'row':58} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms/req':>11}"
        f" {'rate':>7} {'CPU':>7}"
    )
    print(header)
    print("-" * len(header))
    for row in table:
        rate, p50, p99, cpu, requests, errors = by_label[row.label]
        ratio = cost = ""
        if row.baseline is not None:
            base_rate, base_cpu = by_label[row.baseline][0], by_label[row.baseline][3]
            ratio = f"{rate / base_rate:.2f}×" if base_rate else ""
            cost = f"{cpu / base_cpu:.1f}×" if base_cpu else ""
        print(f"{row.label:58} {rate:8.0f} {p50:8.1f} {p99:8.1f} {cpu:11.2f} {ratio:>7} {cost:>7}")
        if errors:
            print(f"{'':58} errors by status: {dict(sorted(errors.items()))} of {requests}")
    print(
        "rate: requests per second against the row's baseline; CPU: the server's CPU time per"
        " request against the baseline's (what to read when the one client process, not the"
        " server, limits the rate of the cheap rows)."
    )


async def run(args: argparse.Namespace, directory: Path, database_url: str) -> None:
    import msgspec

    from backend.db import close_pool, open_pool
    from backend.jobs import job_app
    from backend.settings import load_settings

    settings = msgspec.structs.replace(load_settings(), db_pool_min=1, db_pool_max=4)
    await open_pool(settings)
    try:
        # New reports notify their unit: pushes are jobs, deferred after each commit.
        async with job_app.open_async():
            people = await load(settings, args.reports)
        extra = {
            "CTN_TIPS_POW_DIFFICULTY": str(DIFFICULTY),
            "CTN_TIPS_ANONYMOUS_PER_ADDRESS": str(10**9),
        }
        async with common.serving(directory, database_url, extra) as server:
            tokens = {
                "officer": await common.bearer(server, people.officer),
                "citizen": await common.bearer(server, people.citizen),
            }
            tip_ids = await first_reports(server.url, tokens["officer"])
            table = rows(tokens, tip_ids)
            for number in range(1, args.rounds + 1):
                print(f"round {number}/{args.rounds}")
                for row in table:
                    row.samples.append(
                        await drive(
                            row.call,
                            url=server.url,
                            seconds=args.seconds,
                            concurrency=args.concurrency,
                            pid=server.pid,
                        )
                    )
            print_table(table, args)
    finally:
        await close_pool()


async def first_reports(url: str, token: str) -> list[uuid.UUID]:
    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        answer = await client.get(
            "/api/v1/police/tips",
            headers={"Authorization": f"Bearer {token}"},
            params={"limit": 100},
        )
        answer.raise_for_status()
        return [uuid.UUID(item["id"]) for item in answer.json()["items"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=1000, help="reports loaded first")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0, help="per row and round")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--quick", action="store_true", help="200 reports, 1 round of 2 s")
    args = parser.parse_args()
    if args.quick:
        args.reports, args.rounds, args.seconds = 200, 1, 2.0
    common.SCRATCH_DB = "ctn_bench_tips"
    base = os.environ.get("BENCH_DIR") or None
    with tempfile.TemporaryDirectory(prefix="ctn-bench-tips-", dir=base) as work:
        directory = Path(work)
        with common.database(directory) as (url, _scratch):
            os.environ["DATABASE_URL"] = url
            os.environ["CTN_SECRET_KEY"] = common.SECRET_KEY
            os.environ["CTN_MEDIA_DIR"] = str(directory / "media")
            with contextlib.suppress(KeyboardInterrupt):
                asyncio.run(run(args, directory, url))


if __name__ == "__main__":
    main()
