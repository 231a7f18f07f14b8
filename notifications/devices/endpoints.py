"""Device and notification-settings routes: the app registers its installation at each start
and on sign-in, forgets it on sign-out; a person chooses their commune, language and muted
categories."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, put
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from backend.access import PUBLIC, SIGNED_IN, access, signed_in
from backend.settings import Settings
from notifications.devices import service
from notifications.devices.errors import (
    NotificationCategoryMandatory,
    NotificationCategoryUnknown,
    NotificationCommuneUnknown,
)
from notifications.devices.schemas import (
    INSTALLATION_ID_PATTERN,
    Device,
    DeviceList,
    DeviceRegistration,
    NotificationCategoryList,
    NotificationSettings,
    NotificationSettingsUpdate,
)

AnyRequest = Request[Any, Any, Any]
InstallationIdParameter = Annotated[
    str,
    PathParameter(
        pattern=INSTALLATION_ID_PATTERN,
        min_length=1,
        max_length=255,
        description="The app installation's Firebase Installation ID (its FCM `fid`).",
    ),
]


class DeviceController(Controller):
    path = "/api/v1/devices"
    tags = ["notifications"]

    @put("/{installation_id:str}", opt=access(SIGNED_IN))
    async def register_device(
        self,
        request: AnyRequest,
        installation_id: InstallationIdParameter,
        data: JSONBody[DeviceRegistration],
    ) -> Response[Device]:
        """Register the caller's device, or refresh it (the app calls this at each start and
        on sign-in): 201 when the installation is new to the caller — first seen, or moved from
        another person, who no longer reaches it — 200 when it was already theirs. Its FCM
        topics follow the caller's notification settings (synced in the background)."""
        device, new = await service.do_register_device(signed_in(request).id, installation_id, data)
        return Response(device, status_code=HTTP_201_CREATED if new else HTTP_200_OK)

    @delete("/{installation_id:str}", status_code=HTTP_204_NO_CONTENT, opt=access(SIGNED_IN))
    async def unregister_device(
        self, request: AnyRequest, installation_id: InstallationIdParameter
    ) -> None:
        """Forget the caller's device (sign-out): no more pushes to it; its topics are
        unsubscribed in the background. 204 also when it is unknown or not the caller's
        (idempotent, and nothing is told about other people's devices)."""
        await service.do_unregister_device(signed_in(request).id, installation_id)

    @get("/", opt=access(SIGNED_IN))
    async def list_devices(self, request: AnyRequest) -> DeviceList:
        """The caller's devices, most recently seen first."""
        return await service.list_devices(signed_in(request).id)


class NotificationSettingsController(Controller):
    path = "/api/v1"
    tags = ["notifications"]

    @get("/notification-settings", opt=access(SIGNED_IN))
    async def get_settings(self, request: AnyRequest) -> NotificationSettings:
        """The caller's notification settings (the defaults until they change them)."""
        return await service.get_notification_settings(signed_in(request).id)

    @put(
        "/notification-settings",
        opt=access(
            SIGNED_IN,
            problems=(
                NotificationCommuneUnknown,
                NotificationCategoryUnknown,
                NotificationCategoryMandatory,
            ),
        ),
    )
    async def put_settings(
        self,
        request: AnyRequest,
        settings: NamedDependency[Settings],
        data: JSONBody[NotificationSettingsUpdate],
    ) -> NotificationSettings:
        """Replace the caller's settings: the commune whose news they follow, the language of
        notifications, the categories muted (emergency alerts, internal circulars and one's
        own crime reports cannot be: 422 `notification_category_mandatory`). Their devices'
        topics follow in the background; their inbox follows at once."""
        return await service.do_update_settings(settings, signed_in(request).id, data)

    @get("/notification-categories", opt=access(PUBLIC, transaction=False, etag=True))
    async def categories(self) -> NotificationCategoryList:
        """The categories of notifications (Vietnamese and English names; `mutable`: whether a
        person may mute it) and the languages notifications come in."""
        return service.list_categories()


ROUTE_HANDLERS: list[Any] = [DeviceController, NotificationSettingsController]
