from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency

from backend.access import PUBLIC, access
from backend.health import service
from backend.health.errors import NotReady
from backend.health.schemas import Liveness, Readiness
from backend.settings import Settings

# Probes hold no transaction (the database may be the thing that is down) and are not logged
# with client details: load balancers call them every few seconds.
PROBE_OPT = access(PUBLIC, transaction=False, anonymous=True)


class HealthController(Controller):
    path = "/health"
    tags = ["health"]
    include_in_schema = True

    @get("/live", opt=PROBE_OPT)
    async def live(self) -> Liveness:
        """The process is up."""
        return Liveness(status="ok")

    @get("/ready", opt=PROBE_OPT)
    async def ready(self, settings: NamedDependency[Settings]) -> Readiness:
        """The database answers, the media directory is writable, the job queue is reachable.
        503 problem+json naming the failed checks otherwise."""
        readiness = await service.check_readiness(settings)
        if not readiness.ready:
            raise NotReady(failed=[c.name for c in readiness.checks if not c.ok])
        return readiness
