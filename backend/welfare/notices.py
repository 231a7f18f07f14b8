"""What the citizen is told when one of their payments is recorded (notifications' notify,
after the recording commits)."""

from __future__ import annotations

from datetime import date

from backend.identity.service import person_ids_by_personal_id
from backend.welfare import repository
from backend.welfare.repository import PaymentRecord
from notifications.service import notify


async def notify_result(payment: PaymentRecord, result: str, paid_on: date | None) -> None:
    """A push and an inbox item to the person the payment's number names (nobody when
    identity does not know them yet)."""
    people = await person_ids_by_personal_id([payment.personal_id])
    person = people.get(payment.personal_id)
    if person is None:
        return
    names = {p.code: p.name_vi for p in await repository.programmes()}
    data = {
        "program": names.get(payment.programme_code, payment.programme_code),
        "amount": f"{payment.amount:,}".replace(",", "."),
        "date": (paid_on or payment.payout_date).strftime("%d/%m/%Y"),
        "month": payment.month.strftime("%m/%Y"),
    }
    template = "welfare.payment_made" if result == "paid" else "welfare.payment_failed"
    await notify([person], template, data, deep_link="ctn://welfare", category="welfare")
