"""What a campaign achieved: reach, pushes accepted and failed (by FCM error class), opens and
acknowledgements (unique per person: one `campaign_reads` row each), survey results, the same
per hour and by commune or agency, and who has not acknowledged yet (internal campaigns).

Counted from the rows sending and reading write (`push_deliveries`, `topic_sends`,
`campaign_reads`, `survey_answers`); nothing is kept twice. Permission checks and the audit of
reads are the service's (`notifications.campaigns.service`).
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Sequence

import msgspec

from backend.http.pagination import PageRequest, decode_cursor, encode_cursor
from backend.identity.service import names_of
from notifications.campaigns import repository
from notifications.campaigns.repository import CampaignRow, OutcomeCount, UnacknowledgedRow
from notifications.campaigns.schedule import VIETNAM
from notifications.campaigns.schemas import (
    AudienceKind,
    CampaignAnalytics,
    CampaignStatus,
    HourPoint,
    OptionTally,
    PlaceCounts,
    PushCounts,
    Survey,
    SurveyKind,
    SurveyResults,
    UnacknowledgedPage,
    UnacknowledgedPerson,
)

UNACK_CURSOR = "campaign_unacknowledged"
RATINGS = range(1, 6)


def _push_counts(rows: Sequence[OutcomeCount]) -> PushCounts:
    accepted = pending = 0
    failed: dict[str, int] = {}
    for row in rows:
        if row.status == "accepted":
            accepted += row.n
        elif row.status == "failed":
            reason = row.error or "other"
            failed[reason] = failed.get(reason, 0) + row.n
        else:
            pending += row.n
    return PushCounts(accepted=accepted, failed=dict(sorted(failed.items())), pending=pending)


async def survey_results(row: CampaignRow) -> SurveyResults | None:
    if row.survey is None:
        return None
    survey = msgspec.convert(row.survey, Survey)
    respondents, counts = await repository.survey_counts(row.id)
    by_choice = {c.choice: c.n for c in counts}
    if survey.kind is SurveyKind.RATING:
        tallies = [OptionTally(option=r, label=str(r), count=by_choice.get(r, 0)) for r in RATINGS]
        total = sum(t.count for t in tallies)
        average = round(sum(t.option * t.count for t in tallies) / total, 2) if total else None
        return SurveyResults(
            kind=survey.kind,
            question=survey.question,
            respondents=respondents,
            tallies=tallies,
            average_rating=average,
        )
    tallies = [
        OptionTally(option=i, label=option.label, count=by_choice.get(i, 0))
        for i, option in enumerate(survey.options)
    ]
    return SurveyResults(
        kind=survey.kind, question=survey.question, respondents=respondents, tallies=tallies
    )


def _places(rows: Sequence[repository.PlaceRow]) -> list[PlaceCounts]:
    return [
        PlaceCounts(code=r.code, recipients=r.rows, opened=r.opened, acknowledged=r.acknowledged)
        for r in rows
    ]


async def build_analytics(row: CampaignRow) -> CampaignAnalytics:
    reads = await repository.read_counts(row.id)
    internal = AudienceKind(row.audience_kind) in (
        AudienceKind.CIVIL_SERVANTS,
        AudienceKind.AGENCIES,
        AudienceKind.LIST,
    )
    return CampaignAnalytics(
        campaign_id=row.id,
        status=CampaignStatus(row.status),
        audience_kind=AudienceKind(row.audience_kind),
        audience_size=row.audience_size,
        devices_targeted=row.devices_targeted,
        push=_push_counts(await repository.delivery_counts(row.id)),
        topic_messages=_push_counts(await repository.target_counts(row.id)),
        opened=reads.opened,
        acknowledged=reads.acknowledged,
        unacknowledged=(
            await repository.count_unacknowledged(row.id, agency=None)
            if row.requires_ack and internal and row.sending_started_at is not None
            else None
        ),
        survey=await survey_results(row),
        hourly=[
            HourPoint(
                hour=h.hour, accepted=h.accepted, opened=h.opened, acknowledged=h.acknowledged
            )
            for h in await repository.hourly(row.id)
        ],
        by_commune=_places(await repository.reads_by(row.id, "commune_code")),
        by_agency=_places(await repository.reads_by(row.id, "agency_code")),
    )


def _person(row: UnacknowledgedRow, names: dict[uuid.UUID, str | None]) -> UnacknowledgedPerson:
    return UnacknowledgedPerson(
        person_id=row.person_id,
        full_name=names.get(row.person_id),
        agency_code=row.agency_code,
        commune_code=row.commune_code,
        opened_at=row.opened_at,
    )


async def unacknowledged_page(
    row: CampaignRow, page: PageRequest, *, agency: str | None
) -> UnacknowledgedPage:
    """Recipients who have not acknowledged, by agency then person id (empty unless the
    campaign asks for acknowledgement and has started)."""
    if not row.requires_ack or row.sending_started_at is None:
        return UnacknowledgedPage(items=[], next_cursor=None, total=0)
    after = None
    if page.cursor:
        code, person = decode_cursor(page.cursor, UNACK_CURSOR, (str, uuid.UUID))
        after = (code, person)
    rows = await repository.unacknowledged(row.id, agency=agency, after=after, limit=page.limit + 1)
    shown = rows[: page.limit]
    next_cursor = None
    if len(rows) > page.limit:
        last = shown[-1]
        next_cursor = encode_cursor(UNACK_CURSOR, (last.agency_code or "", last.person_id))
    names = await names_of([r.person_id for r in shown])
    return UnacknowledgedPage(
        items=[_person(r, names) for r in shown],
        next_cursor=next_cursor,
        total=await repository.count_unacknowledged(row.id, agency=agency),
    )


async def unacknowledged_csv(row: CampaignRow, *, agency: str | None) -> tuple[str, int]:
    """Every recipient who has not acknowledged, as CSV (person id, name, agency, commune,
    opened at in local time), and how many rows."""
    rows = (
        await repository.unacknowledged(row.id, agency=agency, after=None, limit=None)
        if row.requires_ack and row.sending_started_at is not None
        else []
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    names = await names_of([r.person_id for r in rows])
    writer.writerow(["person_id", "full_name", "agency_code", "commune_code", "opened_at"])
    for r in rows:
        writer.writerow(
            [
                r.person_id,
                names.get(r.person_id) or "",
                r.agency_code or "",
                r.commune_code or "",
                r.opened_at.astimezone(VIETNAM).isoformat() if r.opened_at else "",
            ]
        )
    return out.getvalue(), len(rows)


def analytics_csv(analytics: CampaignAnalytics) -> str:
    """The analytics as `section,key,value` rows (hours in local time, Asia/Ho_Chi_Minh)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["section", "key", "value"])
    summary = {
        "status": analytics.status,
        "audience_kind": analytics.audience_kind,
        "audience_size": analytics.audience_size,
        "devices_targeted": analytics.devices_targeted,
        "push_accepted": analytics.push.accepted,
        "push_pending": analytics.push.pending,
        "topic_messages_accepted": analytics.topic_messages.accepted,
        "opened": analytics.opened,
        "acknowledged": analytics.acknowledged,
        "unacknowledged": analytics.unacknowledged,
    }
    for key, value in summary.items():
        writer.writerow(["summary", key, "" if value is None else value])
    for reason, n in analytics.push.failed.items():
        writer.writerow(["push_failed", reason, n])
    for reason, n in analytics.topic_messages.failed.items():
        writer.writerow(["topic_messages_failed", reason, n])
    if analytics.survey is not None:
        writer.writerow(["survey", "respondents", analytics.survey.respondents])
        for tally in analytics.survey.tallies:
            writer.writerow(["survey", tally.label, tally.count])
        if analytics.survey.average_rating is not None:
            writer.writerow(["survey", "average_rating", analytics.survey.average_rating])
    for point in analytics.hourly:
        hour = point.hour.astimezone(VIETNAM).isoformat()
        writer.writerow(["hourly_accepted", hour, point.accepted])
        writer.writerow(["hourly_opened", hour, point.opened])
        writer.writerow(["hourly_acknowledged", hour, point.acknowledged])
    for section, places in (("commune", analytics.by_commune), ("agency", analytics.by_agency)):
        for place in places:
            code = place.code or ""
            writer.writerow([f"{section}_recipients", code, place.recipients])
            writer.writerow([f"{section}_opened", code, place.opened])
            writer.writerow([f"{section}_acknowledged", code, place.acknowledged])
    return out.getvalue()
