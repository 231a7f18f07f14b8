"""Background jobs of communications: every job module of the domain, imported so that the
worker registers their tasks (`backend.domains` names this one module)."""

from notifications.campaigns import jobs as campaign_jobs
from notifications.devices import jobs as device_jobs
from notifications.inbox import jobs as inbox_jobs

__all__ = ["campaign_jobs", "device_jobs", "inbox_jobs"]
