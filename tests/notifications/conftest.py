"""Fixtures of the notifications tests."""

from tests.notifications.fcm import _fcm_standin, fcm, fcm_process

__all__ = ["_fcm_standin", "fcm", "fcm_process"]
