from backend.errors import NotFound


class AdministrativeUnitNotFound(NotFound):
    code = "administrative_unit_not_found"
    message_vi = "Không tìm thấy đơn vị hành chính."
    message_en = "Administrative unit not found."
