from piccolo.columns import JSONB, Bytea, Text, Timestamptz, Varchar
from piccolo.table import Table


class DevIdpKey(Table, tablename="dev_idp_keys"):
    """The development provider's RS256 signing keys; the newest signs, all are published."""

    kid = Varchar(length=64, primary_key=True)
    private_key = Bytea()
    public_jwk = JSONB()
    created_at = Timestamptz()


class DevIdpCode(Table, tablename="dev_idp_codes"):
    """An authorization code issued by the development provider (single use)."""

    code_hash = Varchar(length=64, primary_key=True)
    personal_id = Varchar(length=12)
    client_id = Varchar(length=100)
    redirect_uri = Text()
    nonce = Text(null=True, default=None)
    code_challenge = Varchar(length=128, null=True, default=None)
    code_challenge_method = Varchar(length=10, null=True, default=None)
    sid = Varchar(length=64)
    scope = Text()
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class DevIdpAccessToken(Table, tablename="dev_idp_access_tokens"):
    token_hash = Varchar(length=64, primary_key=True)
    personal_id = Varchar(length=12)
    expires_at = Timestamptz()
