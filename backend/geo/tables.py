from piccolo.columns import Timestamptz, Varchar
from piccolo.table import Table


class AdministrativeUnit(Table, tablename="administrative_units"):
    """A commune (xã), ward (phường) or special zone (đặc khu) of the province."""

    code = Varchar(length=5, primary_key=True)
    name = Varchar(length=120)
    name_folded = Varchar(length=120, index=True)
    division_type = Varchar(length=20)
    codename = Varchar(length=120)
    province_code = Varchar(length=2, index=True)
    province_name = Varchar(length=60)
    updated_at = Timestamptz()
