from piccolo.columns import JSONB, Bytea, Integer, Timestamptz, Varchar
from piccolo.table import Table


class IdempotencyKey(Table, tablename="idempotency_keys"):
    """The first response to a request sent with an Idempotency-Key, kept for replay.

    Written in the same transaction as the request's own work, so a key is recorded exactly
    when the work is committed.
    """

    scope_key = Varchar(length=400, unique=True)
    fingerprint = Varchar(length=64)
    status_code = Integer(null=True, default=None)
    response_headers = JSONB(default="[]")
    response_body = Bytea(null=True, default=None)
    created_at = Timestamptz()
    expires_at = Timestamptz(index=True)
