"""Welfare import benchmark: a generated 100,000-row beneficiary list (.xlsx) imported as the
job imports it, beside a baseline of reading the same file alone with python-calamine.

    python -m bench.welfare [--rows 100000] [--batch 2000]

A scratch database (bench/upload.py's `database`: `DATABASE_URL` if set, else
127.0.0.1:5432, else a private PostgreSQL) is migrated; the province's communes and one
programme are loaded. Each measurement runs in a child process of its own, so that its peak
RSS is its own:

- baseline: every row of the file read with python-calamine (`iter_rows`), nothing else;
- import: the file stored through `do_start_import` (streamed from disk), then `run_import`
  (validation of every row, identity lookups, beneficiaries, enrolments, per-row results, in
  one transaction).

Printed: rows/s, seconds, RSS before, peak RSS and its growth for both, side by side, and
whether the targets hold (≥ 5,000 rows/s, RSS growth < 200 MB).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import upload as common

TARGET_RATE = 5000
TARGET_GROWTH_MB = 200


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(path: Path, rows: int, communes: list[str]) -> None:
    import xlsxwriter  # type: ignore[import-untyped]  # XlsxWriter ships no type information

    rng = random.Random(14)
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet()
    sheet.write_row(
        0,
        0,
        [
            "Số định danh cá nhân",
            "Họ và tên",
            "Ngày sinh",
            "Giới tính",
            "Mã xã",
            "Chương trình",
            "Nhóm đối tượng",
            "Số tiền hằng tháng",
            "Hình thức chi trả",
            "Số tài khoản",
        ],
    )
    surnames = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi"]
    given = ["Văn An", "Thị Bình", "Văn Cường", "Thị Dung", "Văn Hải", "Thị Lan", "Đức Minh"]
    for n in range(1, rows + 1):
        year = rng.randint(1930, 1960)
        female = n % 2 == 1
        pid = f"019{int(female)}{year % 100:02d}{n:06d}"
        channel = "Tài khoản ngân hàng" if n % 3 else "Ví điện tử"
        account = f"{rng.randint(10**9, 10**12)}" if n % 3 else f"09{rng.randint(10**7, 10**8 - 1)}"
        sheet.write_row(
            n,
            0,
            [
                pid,
                f"{rng.choice(surnames)} {rng.choice(given)}",
                f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{year}",
                "Nữ" if female else "Nam",
                rng.choice(communes),
                "BTXH",
                "NCT80",
                500_000,
                channel,
                account,
            ],
        )
    workbook.close()


def child_baseline(path: str) -> dict[str, Any]:
    from python_calamine import CalamineWorkbook

    before = rss_mb()
    started = time.perf_counter()
    workbook = CalamineWorkbook.from_path(path)
    count = 0
    for _ in workbook.get_sheet_by_index(0).iter_rows():
        count += 1
    workbook.close()
    seconds = time.perf_counter() - started
    return {"rows": count - 1, "seconds": seconds, "rss_before": before, "peak": peak_mb()}


def child_import(path: str, batch: int) -> dict[str, Any]:
    import msgspec

    from backend import db
    from backend.access import Principal, Role
    from backend.geo.service import do_sync_units
    from backend.jobs import job_app
    from backend.settings import get_settings
    from backend.welfare import service
    from backend.welfare.schemas import CategoryIn, ProgrammeIn

    settings = msgspec.structs.replace(get_settings(), welfare_import_batch_rows=batch)

    async def chunks() -> Any:
        source = await asyncio.to_thread(open, path, "rb")
        try:
            while block := await asyncio.to_thread(source.read, 1024 * 1024):
                yield block
        finally:
            source.close()

    async def run() -> dict[str, Any]:
        await db.open_pool(settings)
        async with job_app.open_async():
            async with db.unit_of_work():
                await do_sync_units(settings.province_code)
                await service.do_upsert_programme(
                    None,
                    ProgrammeIn(
                        code="BTXH",
                        name_vi="Trợ cấp xã hội hằng tháng",
                        name_en="Monthly social allowance",
                        categories=[
                            CategoryIn(
                                code="NCT80",
                                name_vi="Người từ đủ 80 tuổi",
                                name_en="Aged 80 or over",
                                monthly_amount=500_000,
                            )
                        ],
                    ),
                )
            from backend.identity.service import do_grant_role, do_provision_person

            async with db.unit_of_work():
                person = await do_provision_person("001099000001", "Cán bộ đo")
                await do_grant_role(
                    person.id, Role.WELFARE_OFFICER, granted_by=None, reason="bench"
                )
            actor = Principal(id=person.id, roles=frozenset({"welfare_officer"}))
            before = rss_mb()
            started = time.perf_counter()
            record = await service.do_start_import(
                settings, actor, kind="beneficiaries", filename="bench.xlsx", chunks=chunks()
            )
            stored = time.perf_counter()
            done = await service.run_import(settings, record.id)
            seconds = time.perf_counter() - started
        await db.close_pool()
        return {
            "rows": done.processed_rows,
            "accepted": done.accepted,
            "rejected": done.rejected,
            "status": done.status,
            "error": done.error,
            "seconds": seconds,
            "store_seconds": stored - started,
            "rss_before": before,
            "peak": peak_mb(),
        }

    return asyncio.run(run())


def in_child(mode: str, path: Path, env: dict[str, str], batch: int) -> dict[str, Any]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.welfare",
            "--child",
            mode,
            "--file",
            str(path),
            "--batch",
            str(batch),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"{mode} failed:\n{done.stdout}{done.stderr}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--child", choices=["baseline", "import"])
    parser.add_argument("--file")
    args = parser.parse_args()
    if args.child == "baseline":
        print(json.dumps(child_baseline(args.file)))
        return
    if args.child == "import":
        print(json.dumps(child_import(args.file, args.batch)))
        return

    from backend.geo.service import packaged_units

    with tempfile.TemporaryDirectory(prefix="ctn-bench-welfare-") as directory:
        workdir = Path(directory)
        path = workdir / "list.xlsx"
        started = time.perf_counter()
        generate(path, args.rows, [u.code for u in packaged_units("19")])
        print(
            f"generated {args.rows:,} rows, {path.stat().st_size / 1e6:.1f} MB"
            f" in {time.perf_counter() - started:.1f} s"
        )
        with common.database(workdir) as (url, _):
            env = {
                **common.base_env(),
                "DATABASE_URL": url,
                "CTN_SECRET_KEY": common.SECRET_KEY,
                "CTN_MEDIA_DIR": str(workdir / "media"),
                "CTN_DATA_DIR": str(workdir),
            }
            baseline = in_child("baseline", path, env, args.batch)
            imported = in_child("import", path, env, args.batch)
    print(f"\n{'':28}{'calamine read alone':>22}{'import (job body)':>22}")
    rate_b = baseline["rows"] / baseline["seconds"]
    rate_i = imported["rows"] / imported["seconds"]
    growth_b = baseline["peak"] - baseline["rss_before"]
    growth_i = imported["peak"] - imported["rss_before"]
    for label, left, right in [
        ("rows", f"{baseline['rows']:,}", f"{imported['rows']:,}"),
        ("seconds", f"{baseline['seconds']:.2f}", f"{imported['seconds']:.2f}"),
        ("rows/s", f"{rate_b:,.0f}", f"{rate_i:,.0f}"),
        ("RSS before (MB)", f"{baseline['rss_before']:.0f}", f"{imported['rss_before']:.0f}"),
        ("peak RSS (MB)", f"{baseline['peak']:.0f}", f"{imported['peak']:.0f}"),
        ("RSS growth (MB)", f"{growth_b:.0f}", f"{growth_i:.0f}"),
    ]:
        print(f"{label:28}{left:>22}{right:>22}")
    print(
        f"\nimport: status {imported['status']}, accepted {imported['accepted']:,},"
        f" rejected {imported['rejected']:,}; storing the file took"
        f" {imported['store_seconds']:.2f} s; import/baseline rate {rate_i / rate_b:.2f}"
    )
    ok = rate_i >= TARGET_RATE and growth_i < TARGET_GROWTH_MB
    print(
        f"targets (≥ {TARGET_RATE:,} rows/s, growth < {TARGET_GROWTH_MB} MB):"
        f" {'met' if ok else 'NOT met'}"
    )
    os._exit(0 if ok else 1)


if __name__ == "__main__":
    main()
