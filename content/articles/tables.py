from piccolo.columns import UUID, Array, Text, Timestamptz, Varchar
from piccolo.table import Table


class Article(Table, tablename="articles"):
    """A news article or notice. `status` moves draft → in_review → published → archived; an
    approver may return an article in review to draft with a comment (`review_comment`).

    `audience` is `public` (everyone), `internal` (every civil servant) or `agencies` (the
    civil servants of the agencies listed in `agencies`). `body_html` is `body_markdown`
    rendered and sanitized when the article is written; `search_text` is the folded
    (lower-case, no diacritics) title, summary and body that searches match.
    """

    id = UUID(primary_key=True)
    slug = Varchar(length=120, unique=True)
    title = Varchar(length=300)
    summary = Text(default="")
    body_markdown = Text(default="")
    body_html = Text(default="")
    search_text = Text(default="")
    topic = Varchar(length=40, null=True, default=None, index=True)
    byline = Varchar(length=200, null=True, default=None)
    """The signature readers see (e.g. a department's name)."""
    cover_asset_id = UUID(null=True, default=None)
    audience = Varchar(length=16, default="public")
    agencies = Array(base_column=Varchar(length=40), default=list)
    status = Varchar(length=16, default="draft", index=True)
    published_at = Timestamptz(null=True, default=None, index=True)
    archived_at = Timestamptz(null=True, default=None)
    author_id = UUID()
    updated_by = UUID()
    content_edited_by = UUID(null=True, default=None)
    """Who last changed what readers see (the author until someone else edits): they may not
    publish it. Null only for articles older than this column."""
    published_by = UUID(null=True, default=None)
    archived_by = UUID(null=True, default=None)
    submitted_by = UUID(null=True, default=None)
    submitted_at = Timestamptz(null=True, default=None)
    review_comment = Text(null=True, default=None)
    """Why an approver returned the article to draft; cleared when it is submitted again."""
    returned_by = UUID(null=True, default=None)
    returned_at = Timestamptz(null=True, default=None)
    approved_title = Varchar(length=300, null=True, default=None)
    """The title, summary and body as last published: what a review compares against."""
    approved_summary = Text(null=True, default=None)
    approved_body = Text(null=True, default=None)
    revises_id = UUID(null=True, default=None, index=True)
    """For a revision of a published article: that article. The revision is a draft of its
    own (edited, submitted and reviewed against the live text, which readers keep seeing);
    publishing it puts its text on the article it revises and removes the revision."""
    created_at = Timestamptz()
    updated_at = Timestamptz()
