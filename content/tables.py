from piccolo.columns import JSONB, UUID, Array, BigInt, SmallInt, Text, Timestamptz, Varchar
from piccolo.table import Table


class MediaAsset(Table, tablename="media_assets"):
    """An uploaded image, video or audio file and what processing made of it.

    `status` moves uploaded → processing → ready, or to failed with a reason. Processing
    outputs live under `output_prefix`, one directory per processing run (`run_id`), so a
    retried or duplicated run never overwrites the outputs another run has published.
    """

    id = UUID(primary_key=True)
    purpose = Varchar(length=32, index=True)
    kind = Varchar(length=8)
    mime = Varchar(length=64)
    original_filename = Varchar(length=255, default="")
    original_key = Varchar(length=300, null=True, default=None)
    """The untouched upload, or None when the caller did not keep it."""
    size = BigInt()
    sha256 = Varchar(length=64, index=True)
    status = Varchar(length=16, index=True)
    progress = SmallInt(default=0)
    failure_code = Varchar(length=64, null=True, default=None)
    failure_vi = Text(null=True, default=None)
    failure_en = Text(null=True, default=None)
    attempts = SmallInt(default=0)
    run_id = UUID(null=True, default=None)
    output_prefix = Varchar(length=300, null=True, default=None)
    renditions = JSONB(default="[]")
    details = JSONB(default="{}")
    """What probing found: duration, width, height, codecs."""
    created_by = UUID(null=True, default=None)
    """The uploader (None for system uploads such as demo data)."""
    police_units = Array(base_column=Varchar(length=40), default=list)
    """For police purposes (evidence, report media): the uploader's police units when it was
    uploaded; an officer of another unit may not read it while it is attached to nothing."""
    created_at = Timestamptz()
    updated_at = Timestamptz()


class MediaAttachment(Table, tablename="media_attachments"):
    """What an asset belongs to: (`owner_kind`, `owner_id`), e.g. ("article", <id>) for a
    cover. Reading an attached asset follows the owner's rule (content.service registry). The
    id is derived from the three others, so attaching twice is one row."""

    id = UUID(primary_key=True)
    asset_id = UUID(index=True)
    owner_kind = Varchar(length=32)
    owner_id = Varchar(length=64)
    created_at = Timestamptz()
