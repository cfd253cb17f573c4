"""Messages a person reads write dates the Indonesian way, as the pages do (``7 Desember
2026``), not ISO (``2026-12-07``): the ledger's refusals of a date (out of range, in the
future, in closed books, before the books start), a closed month named by its name, the
members' join date, the savings reversal in a closed month. Machine fields stay ISO."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from core.common.dates import format_tanggal
from core.common.errors import ApplicationError
from core.ledger.models import Period
from core.ledger.services import (
    LineSpec,
    date_in_range,
    fiscal_year_ensure,
    journal_post,
    period_close,
)
from core.members.services import member_field_errors

ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
D = Decimal
MONTHS = "Januari Februari Maret April Mei Juni Juli Agustus September Oktober November Desember"


def _lines():
    return [LineSpec("1101", debit=D("1000")), LineSpec("3106", credit=D("1000"))]


def _month_name(d: date) -> str:
    return f"{MONTHS.split()[d.month - 1]} {d.year}"


def test_a_future_posting_date_is_written_the_indonesian_way(in_tenant_a, bendahara, today):
    later = today + timedelta(days=3)
    with pytest.raises(ApplicationError) as exc:
        journal_post(on=later, description="Nanti", by=bendahara, lines=_lines())
    assert exc.value.code == "future_date"
    assert exc.value.message == (
        f"Tanggal {format_tanggal(later)} di masa depan; periode itu masih terkunci."
    )
    assert not ISO.search(exc.value.message)


def test_a_date_out_of_range_names_the_range_the_indonesian_way(in_tenant_a, today):
    fiscal_year_ensure(year=today.year)
    far = today + timedelta(days=400)
    with pytest.raises(ApplicationError) as exc:
        date_in_range(far, field="date")
    message = exc.value.message
    assert exc.value.code == "date_out_of_range"
    assert f"Tanggal {format_tanggal(far)} di luar rentang" in message
    assert format_tanggal(today + timedelta(days=366)) in message
    assert not ISO.search(message)
    assert not ISO.search(exc.value.fields["date"][0])


def test_closed_books_and_a_closed_month_are_named_the_indonesian_way(
    in_tenant_a, bendahara, today
):
    last_month_end = today.replace(day=1) - timedelta(days=1)
    fiscal_year_ensure(year=last_month_end.year)
    period_close(period=Period.objects.get(end_date=last_month_end), by=bendahara)
    backdated = last_month_end - timedelta(days=5)
    with pytest.raises(ApplicationError) as exc:
        journal_post(on=backdated, description="Mundur", by=bendahara, lines=_lines())
    assert exc.value.code == "period_closed"
    assert exc.value.message.startswith(
        f"Buku sudah ditutup sampai {format_tanggal(last_month_end)}; tidak bisa memposting "
        f"tanggal {format_tanggal(backdated)}."
    )
    assert not ISO.search(exc.value.message)
    # the month by its name, not 2026-11
    with pytest.raises(ApplicationError) as exc:
        period_close(period=Period.objects.get(end_date=last_month_end), by=bendahara)
    assert exc.value.message == f"Periode {_month_name(last_month_end)} sudah ditutup."


def test_api_refusal_message_is_indonesian_and_its_fields_stay_machine_readable(login, today):
    later = today + timedelta(days=3)
    resp = login("bendahara").post(
        "/api/v1/ledger/entries/",
        {
            "date": later.isoformat(),
            "description": "Nanti",
            "lines": [
                {"account": "1101", "debit": "1000"},
                {"account": "3106", "credit": "1000"},
            ],
        },
        content_type="application/json",
    )
    assert resp.status_code == 400, resp.content
    err = resp.json()["error"]
    assert format_tanggal(later) in err["message"] and not ISO.search(err["message"])


def test_a_join_date_that_makes_no_sense_is_written_the_indonesian_way(in_tenant_a):
    errors = member_field_errors(
        {"full_name": "Siti", "join_date": date(1949, 3, 7), "nip": "", "nik": ""}
    )
    assert "Tanggal masuk 7 Maret 1949 tidak masuk akal." in errors["join_date"]
