"""Who a campaign reaches.

- Public audiences (all citizens, or the followers of some communes) are never listed person by
  person: their reach is counted from people's notification settings and devices, and they are
  sent as FCM condition messages (`notifications.topics`).
- Internal audiences (every civil servant, or those of some agencies) are resolved through
  identity's directory (who holds the civil_servant role where) when sending starts, and
  written as one `campaign_reads` row per person.
- A list is uploaded as personal identification numbers; the people found become the
  campaign's `campaign_reads` rows at once (the numbers themselves are never stored here nor
  logged: only counts come back).

People who muted a mutable category are left out of the reach (and of the recipients);
mandatory categories (emergency alerts, internal circulars) ignore mutes.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from backend.access import Role
from backend.geo.errors import AdministrativeUnitNotFound
from backend.geo.service import get_unit
from backend.identity.service import (
    count_persons,
    list_agencies,
    members_with_role,
    person_ids_by_personal_id,
)
from notifications.campaigns import repository
from notifications.campaigns.errors import (
    AudienceListTooLong,
    AudienceListUnreadable,
    CampaignAudienceInvalid,
)
from notifications.campaigns.repository import Reach
from notifications.campaigns.schemas import AudienceKind, AudienceListResult
from notifications.categories import is_mutable

MAX_CODES = 500
MAX_LIST_LINES = 300_000
"""About 4 MB of numbers: the route's body limit allows a little more."""
_PERSONAL_ID = re.compile(r"^\d{12}$")


def muted_filter(category: str) -> str | None:
    """The category whose mutes leave people out, or None for a mandatory category."""
    return category if is_mutable(category) else None


async def check_audience(
    kind: AudienceKind, communes: Sequence[str], agencies: Sequence[str]
) -> tuple[list[str], list[str]]:
    """The (communes, agencies) to store: a non-empty list of the province's communes for
    `communes`, of registered agencies for `agencies`, nothing for the other kinds."""
    kind = AudienceKind(kind)
    commune_codes = sorted(set(communes))
    agency_codes = sorted(set(agencies))
    if kind is not AudienceKind.COMMUNES and commune_codes:
        raise CampaignAudienceInvalid(field="audience_communes")
    if kind is not AudienceKind.AGENCIES and agency_codes:
        raise CampaignAudienceInvalid(field="audience_agencies")
    if kind is AudienceKind.COMMUNES:
        if not commune_codes or len(commune_codes) > MAX_CODES:
            raise CampaignAudienceInvalid(field="audience_communes")
        unknown = []
        for code in commune_codes:
            try:
                await get_unit(code)
            except AdministrativeUnitNotFound:
                unknown.append(code)
        if unknown:
            raise CampaignAudienceInvalid(field="audience_communes", unknown_communes=unknown)
    if kind is AudienceKind.AGENCIES:
        if not agency_codes or len(agency_codes) > MAX_CODES:
            raise CampaignAudienceInvalid(field="audience_agencies")
        known = {agency.code for agency in await list_agencies()}
        unknown = [code for code in agency_codes if code not in known]
        if unknown:
            raise CampaignAudienceInvalid(field="audience_agencies", unknown_agencies=unknown)
    return commune_codes, agency_codes


async def internal_members(
    kind: AudienceKind, agencies: Sequence[str]
) -> tuple[list[uuid.UUID], list[str | None]]:
    """(person ids, their agencies) of an internal audience: the civil servants of the
    agencies, or all of them."""
    kind = AudienceKind(kind)
    members = await members_with_role(
        Role.CIVIL_SERVANT.value,
        agencies=list(agencies) if kind is AudienceKind.AGENCIES else None,
    )
    return [m.person_id for m in members], [m.agency for m in members]


async def reach(
    kind: AudienceKind,
    *,
    communes: Sequence[str],
    agencies: Sequence[str],
    category: str,
    campaign_id: uuid.UUID | None,
) -> Reach:
    """How many people the audience reaches now, and their devices."""
    kind = AudienceKind(kind)
    muted = muted_filter(category)
    if kind is AudienceKind.CITIZENS:
        return await repository.public_reach(
            communes=None, muted=muted, persons=await count_persons()
        )
    if kind is AudienceKind.COMMUNES:
        return await repository.public_reach(communes=list(communes), muted=muted, persons=0)
    if kind is AudienceKind.LIST:
        if campaign_id is None:
            return Reach(people=0, muted=0, devices=0)
        return await repository.recipients_reach(campaign_id, muted=muted)
    persons, _ = await internal_members(kind, agencies)
    return await repository.persons_reach(persons, muted=muted)


# --- the uploaded list ------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedList:
    numbers: list[str]
    """Distinct well-formed numbers, in the order first seen."""
    invalid: int
    duplicates: int


def parse_list(raw: bytes) -> ParsedList:
    """Personal identification numbers, one per line: plain text, or CSV whose first column
    holds them (a header line without digits is skipped). UTF-8, with or without a BOM."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise AudienceListUnreadable() from None
    if "\x00" in text:
        raise AudienceListUnreadable()
    lines = text.splitlines()
    if len(lines) > MAX_LIST_LINES:
        raise AudienceListTooLong(limit=MAX_LIST_LINES)
    seen: dict[str, None] = {}
    invalid = duplicates = 0
    first = True
    for line in lines:
        cell = re.split(r"[,;\t]", line, maxsplit=1)[0].strip().strip('"').strip()
        if not cell:
            continue
        if first and not any(ch.isdigit() for ch in line):
            first = False
            continue  # a CSV header
        first = False
        if not _PERSONAL_ID.match(cell):
            invalid += 1
        elif cell in seen:
            duplicates += 1
        else:
            seen[cell] = None
    return ParsedList(numbers=list(seen), invalid=invalid, duplicates=duplicates)


async def do_replace_list(
    campaign_id: uuid.UUID, parsed: ParsedList, now: datetime
) -> AudienceListResult:
    """Make the people these numbers name the campaign's recipients (replacing an earlier
    list). Counts only come back."""
    found = await person_ids_by_personal_id(parsed.numbers)
    people = sorted(set(found.values()))
    written = await repository.replace_list(campaign_id, people, now)
    return AudienceListResult(
        found=written,
        unknown=len(parsed.numbers) - len(found),
        invalid=parsed.invalid,
        duplicates=parsed.duplicates,
    )
