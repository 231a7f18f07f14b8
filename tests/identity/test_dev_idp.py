"""The development identity provider: mounted only when asked for, a real OIDC provider
(discovery, picker page, demo people), refused by `ctn serve` without --allow-dev-idp."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import httpx

from backend.devidp.people import PEOPLE
from backend.logs import ACCESS_FLUSH_SECONDS
from tests.identity.conftest import CITIZEN, LiveServer, mobile_tokens, web_sign_in


async def test_it_is_not_mounted_by_default(client: httpx.AsyncClient) -> None:
    response = await client.get("/dev-idp/.well-known/openid-configuration")
    assert response.status_code == 404


def test_ctn_serve_refuses_it_without_the_flag(subprocess_env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "backend", "serve"],
        env={
            **subprocess_env,
            "CTN_DEV_IDP": "1",
            "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "--allow-dev-idp" in result.stderr


async def test_discovery_and_the_demo_people(http: httpx.AsyncClient, live: LiveServer) -> None:
    discovery = (await http.get("/dev-idp/.well-known/openid-configuration")).json()
    assert discovery["issuer"] == f"{live.url}/dev-idp"
    assert discovery["id_token_signing_alg_values_supported"] == ["RS256"]
    assert "S256" in discovery["code_challenge_methods_supported"]
    users = (await http.get("/dev-idp/users")).json()
    assert len(users) == len(PEOPLE)
    roles = {role for user in users for role in user["roles"]}
    assert roles >= {
        "citizen",
        "civil_servant",
        "police_officer",
        "police_supervisor",
        "comms_officer",
        "comms_approver",
        "welfare_officer",
        "course_admin",
        "auditor",
        "system_admin",
    }
    officers = {u["police_unit"] for u in users if "police_officer" in u["roles"]}
    supervisors = {u["police_unit"] for u in users if "police_supervisor" in u["roles"]}
    assert len(officers) >= 2 and officers == supervisors
    comms = {u["personal_id"] for u in users if "comms_officer" in u["roles"]}
    approvers = {u["personal_id"] for u in users if "comms_approver" in u["roles"]}
    assert comms and approvers and not comms & approvers


async def test_without_a_login_hint_the_provider_shows_a_picker(
    http: httpx.AsyncClient,
) -> None:
    start = await http.get("/auth/login")
    page = await http.get(start.headers["location"])
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Nguyễn Văn An" in page.text
    assert "login_hint=019090001234" in page.text


async def test_logs_hold_no_personal_data_or_tokens(
    http: httpx.AsyncClient, live: LiveServer
) -> None:
    tokens = await mobile_tokens(http, CITIZEN)
    await http.post(
        "/api/v1/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )
    await http.post(  # a reuse, to have a security event about this person
        "/api/v1/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )
    await web_sign_in(http, CITIZEN)
    person = next(p for p in PEOPLE if p.personal_id == CITIZEN)
    await asyncio.sleep(3 * ACCESS_FLUSH_SECONDS)  # access lines are written in batches
    logs = live.log.read_text() + live.security_log.read_text()
    forbidden = [
        person.personal_id,
        person.full_name,
        json.dumps(person.full_name)[1:-1],  # as JSON would escape it
        tokens["access_token"],
        tokens["refresh_token"],
        http.cookies["ctn_session"],
    ]
    assert [value for value in forbidden if value in logs] == []
    assert "refresh_token_reuse" in live.security_log.read_text()


def test_ctn_check_reaches_the_configured_provider(
    live: LiveServer, subprocess_env: dict[str, str], server_url: str, database_name: str
) -> None:
    env = {**subprocess_env, "DATABASE_URL": server_url.format(db=database_name)}
    good = subprocess.run(
        [sys.executable, "-m", "backend", "check"],
        env={**env, "CTN_OIDC_ISSUER": f"{live.url}/dev-idp"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert good.returncode == 0, good.stdout + good.stderr
    assert "✔ identity_provider" in good.stdout
    assert "✔ secret_key" in good.stdout
    wrong = subprocess.run(
        [sys.executable, "-m", "backend", "check"],
        env={**env, "CTN_OIDC_ISSUER": f"{live.url}/not-a-provider"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert wrong.returncode == 1
    assert "✘ identity_provider" in wrong.stdout
