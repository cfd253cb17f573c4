"""The portal's savings transactions for a period typed the wrong way round (from after
to) show that period's movements and closing balance, as the staff reports do (they swap
the bounds), not an empty period whose "Saldo akhir" is the balance on the later date."""

import re
from datetime import date
from decimal import Decimal

from core.common.money import format_rupiah
from core.savings.services import savings_account_get_or_open, teller_deposit
from tests.webapp.conftest import make_user


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_portal_transactions_with_dates_reversed_show_the_period(
    client_a,
    teller,
    products,
    member_a,
    year,
):
    acc = savings_account_get_or_open(
        member=member_a, product=products["sukarela"], on=date(year, 1, 2), by=teller
    )
    teller_deposit(
        account=acc, amount=Decimal("700000"), channel="cash", on=date(year, 1, 5), by=teller
    )
    teller_deposit(
        account=acc, amount=Decimal("300000"), channel="cash", on=date(year, 2, 5), by=teller
    )
    user = make_user("anggota", email="portal-period@alpha.test")
    member_a.user = user
    member_a.save(update_fields=["user"])
    client_a.force_login(user)

    page = _text(
        client_a.get(
            f"/portal/transaksi/?date_from={year}-01-31&date_to={year}-01-01"
        ).content.decode()
    )
    assert format_rupiah(Decimal("700000")) in page
    assert "Tidak ada transaksi pada periode ini" not in page
    assert "Saldo awal Rp 0" in page
    assert f"Saldo akhir {format_rupiah(Decimal('700000'))}" in page


def test_staff_statement_with_dates_reversed_shows_the_period_asked(
    client_a,
    teller,
    products,
    member_a,
    year,
):
    """The kartu simpanan swaps the bounds too, instead of quietly showing 1 January to
    today under a form that still says 31-01 … 01-01."""
    acc = savings_account_get_or_open(
        member=member_a, product=products["sukarela"], on=date(year, 1, 2), by=teller
    )
    teller_deposit(
        account=acc, amount=Decimal("700000"), channel="cash", on=date(year, 1, 5), by=teller
    )
    teller_deposit(
        account=acc, amount=Decimal("300000"), channel="cash", on=date(year, 2, 5), by=teller
    )
    client_a.force_login(teller)
    page = _text(
        client_a.get(
            f"/simpanan/kartu/{member_a.pk}/?date_from={year}-01-31&date_to={year}-01-01"
        ).content.decode()
    )
    assert format_rupiah(Decimal("700000")) in page
    assert format_rupiah(Decimal("300000")) not in page  # February is not in the period
