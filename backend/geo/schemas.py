import msgspec


class AdministrativeUnit(msgspec.Struct, frozen=True):
    code: str
    name: str
    division_type: str
    province_code: str
    province_name: str


class AdministrativeUnitPage(msgspec.Struct, frozen=True):
    items: list[AdministrativeUnit]
    next_cursor: str | None


class SyncReport(msgspec.Struct, frozen=True):
    province_code: str
    units: int
    inserted: int
    updated: int
    removed: int


class SyncAccepted(msgspec.Struct, frozen=True):
    status: str
