import msgspec


class Check(msgspec.Struct, frozen=True, omit_defaults=True):
    name: str
    ok: bool
    error: str | None = None


class Readiness(msgspec.Struct, frozen=True):
    ready: bool
    checks: list[Check]


class Liveness(msgspec.Struct, frozen=True):
    status: str
