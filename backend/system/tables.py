from piccolo.columns import JSONB, Timestamptz, Varchar
from piccolo.table import Table


class InstallationState(Table, tablename="installation_state"):
    key = Varchar(length=100, primary_key=True)
    value = JSONB()
    updated_at = Timestamptz()
