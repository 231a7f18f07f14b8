"""Client authentication by `private_key_jwt` (RFC 7523) instead of a client secret: the
provider verifies our signed assertion with the key we publish at /auth/client-jwks."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from backend.logs import ACCESS_FLUSH_SECONDS
from tests.identity.conftest import LiveServer, bearer, mobile_tokens, running_server


@pytest.fixture(scope="module")
def live_with_key(
    server_url: str, database_name: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, Path]]:
    tmp = tmp_path_factory.mktemp("pkjwt")
    key_file = tmp / "client.pem"
    key_file.write_bytes(ECKey.generate_key("P-256", private=True).as_pem(private=True))
    with running_server(
        tmp,
        server_url.format(db=database_name),
        {"CTN_OIDC_CLIENT_KEY_FILE": str(key_file), "CTN_OIDC_CLIENT_SECRET": "x" * 12},
    ) as server:
        yield server, key_file


async def test_sign_in_works_with_a_signed_client_assertion(
    live_with_key: tuple[LiveServer, Path], committed: None
) -> None:
    server, _ = live_with_key
    async with httpx.AsyncClient(base_url=server.url, timeout=20) as http:
        published = (await http.get("/auth/client-jwks")).json()["keys"]
        assert [k["alg"] for k in published] == ["ES256"]
        assert "d" not in published[0]  # the public half only
        tokens = await mobile_tokens(http)
        assert (await http.get("/api/v1/me", headers=bearer(tokens))).status_code == 200
    await asyncio.sleep(3 * ACCESS_FLUSH_SECONDS)  # access lines are written in batches
    log = server.log.read_text()
    # The provider fetched our client key to verify the assertion, and no secret was sent.
    assert '"route":"/auth/client-jwks"' in log


async def test_a_client_assertion_signed_by_another_key_is_refused(
    live_with_key: tuple[LiveServer, Path], committed: None
) -> None:
    server, key_file = live_with_key
    other = ECKey.generate_key("P-256", private=True)
    now = int(time.time())
    forged = jwt.encode(
        {"alg": "ES256", "kid": "forged"},
        {
            "iss": "c-thainguyen",
            "sub": "c-thainguyen",
            "aud": f"{server.url}/dev-idp/token",
            "jti": "j",
            "iat": now,
            "exp": now + 60,
        },
        other,
    )
    async with httpx.AsyncClient(base_url=server.url, timeout=20) as http:
        response = await http.post(
            "/dev-idp/token",
            data={
                "grant_type": "authorization_code",
                "code": "whatever",
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": forged,
            },
        )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert key_file.exists()
