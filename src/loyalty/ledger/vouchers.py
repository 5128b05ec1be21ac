"""Issued voucher codes, kept out of Temporal history and the redemption mirror.

A voucher code is a bearer credential: whoever reads it can spend it. The
fulfillment activity writes it here and hands the workflow only the voucher
id (the reference), so the Temporal Web UI, its history exports and the
``redemptions.outcome`` mirror never show it. The API reads it back for the
member's own token and shows staff a masked form. Rows are append-only
(a trigger refuses changes; the app role may only INSERT and SELECT).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, String, Text, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from loyalty.ledger.models import Base

_SHOWN = 4


class Voucher(Base):
    __tablename__ = "vouchers"

    voucher_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    redemption_id: Mapped[str] = mapped_column(String(512))  # indexed in migration 0007
    member_id: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


def record(
    session: Session, *, voucher_id: str, redemption_id: str, member_id: str, code: str
) -> None:
    """Keep an issued code; a retried fulfillment that gets the same voucher adds nothing."""
    session.execute(
        insert(Voucher)
        .values(voucher_id=voucher_id, redemption_id=redemption_id, member_id=member_id, code=code)
        .on_conflict_do_nothing(index_elements=[Voucher.voucher_id])
    )


def code_for(session: Session, *, redemption_id: str, voucher_id: str) -> str | None:
    """The code of ``voucher_id`` issued for ``redemption_id``; None if there is none."""
    return session.scalar(
        select(Voucher.code).where(
            Voucher.redemption_id == redemption_id, Voucher.voucher_id == voucher_id
        )
    )


def masked(code: str) -> str:
    """What staff see: enough to match a member's report, never enough to spend it."""
    return "*" * max(len(code) - _SHOWN, 4) + code[-_SHOWN:] if len(code) > _SHOWN else "****"
