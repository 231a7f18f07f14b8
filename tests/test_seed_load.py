"""`ctn seed --citizens/--civil-servants/--devices`: synthetic benchmark data, idempotent."""

from __future__ import annotations

from typing import Any

from backend.identity.service import SYNTHETIC_PREFIX, do_load_synthetic_people, members_with_role
from backend.identity.synthetic import synthetic_agencies
from notifications.synthetic.service import do_load_synthetic_devices
from notifications.tables import Device, NotificationProfile


async def test_synthetic_people_devices_and_topics_load_once(db: None, settings: Any) -> None:
    lines: list[str] = []
    for _ in range(2):  # the second run adds nothing
        await do_load_synthetic_people(300, civil_servants=120, agencies=4, echo=lines.append)
        await do_load_synthetic_devices(settings, 300, 200, echo=lines.append)

    servants = await members_with_role("civil_servant", agencies=synthetic_agencies(4))
    assert len(servants) == 120
    assert {m.agency for m in servants} == set(synthetic_agencies(4))
    assert (
        await NotificationProfile.count().where(
            NotificationProfile.person_id.is_in([m.person_id for m in servants])
        )
        == 120
    )
    devices = await Device.select().where(Device.installation_id.like("syn%"))
    assert len(devices) == 200
    assert all(len(d["installation_id"]) == 22 for d in devices)
    for device in devices:
        assert "citizens" in device["topics"]
        assert any(t.startswith("commune-") for t in device["topics"])
        assert f"lang-{device['locale']}" in device["topics"]
    assert "people 1–300: 0 new" in lines[-4]
    assert SYNTHETIC_PREFIX == "9"
