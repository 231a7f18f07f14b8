"""Fixtures for push through the local FCM stand-in (`notifications.push.standin`).

`fcm`: a stand-in served in this process (one per test session, emptied before each test),
the service-account file pointing at it, and the settings to use it — as a `Settings` for
in-process code and as environment variables for `ctn worker`/`ctn serve` subprocesses.
`fcm_process`: the same with the stand-in in a process of its own, driven through its control
API. Both give the same `StandIn` interface (`fail_device`, `fail_next`, `hold`, `messages`,
`subscriptions`, …). The process-wide gateway (`notifications.push.gateway`) is closed after
each test, so the next one starts from its own settings.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import pytest

from notifications.push import close_gateway
from notifications.push.standin import FcmStandIn, StandIn, StandInProcess


@dataclass(frozen=True)
class Fcm:
    standin: StandIn
    credentials_file: Path
    settings: Any
    """The session's settings with push through the stand-in (`push_backend="fcm"`)."""

    @property
    def env(self) -> dict[str, str]:
        """The same, as the environment of a subprocess."""
        return {
            "CTN_PUSH_BACKEND": "fcm",
            "CTN_FCM_CREDENTIALS_FILE": str(self.credentials_file),
            "CTN_FCM_ENDPOINT": self.standin.url,
        }

    def with_settings(self, **changes: Any) -> Any:
        """These settings with some push settings changed (chunk size, in flight, quota)."""
        return msgspec.structs.replace(self.settings, **changes)


def _settings_for(settings: Any, standin: StandIn, credentials_file: Path) -> Any:
    return msgspec.structs.replace(
        settings,
        push_backend="fcm",
        fcm_credentials_file=str(credentials_file),
        fcm_endpoint=standin.url,
    )


@pytest.fixture(scope="session")
def _fcm_standin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FcmStandIn, Path]]:
    standin = FcmStandIn().start()
    credentials_file = standin.write_service_account(
        tmp_path_factory.mktemp("fcm") / "service-account.json"
    )
    yield standin, credentials_file
    standin.stop()


@pytest.fixture
async def fcm(_fcm_standin: tuple[FcmStandIn, Path], settings: Any) -> AsyncIterator[Fcm]:
    standin, credentials_file = _fcm_standin
    standin.reset()
    await close_gateway()  # one made by an earlier test from other settings
    yield Fcm(standin, credentials_file, _settings_for(settings, standin, credentials_file))
    standin.release(drop=True)
    await close_gateway()


@pytest.fixture
async def fcm_process(settings: Any, tmp_path: Path) -> AsyncIterator[Fcm]:
    process = StandInProcess(log=tmp_path / "standin.log")
    standin = process.start()
    credentials_file = standin.write_service_account(tmp_path / "service-account.json")
    await close_gateway()
    try:
        yield Fcm(standin, credentials_file, _settings_for(settings, standin, credentials_file))
    finally:
        await close_gateway()
        process.stop()
