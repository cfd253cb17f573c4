"""The loan page's *Jadwal lama* (the schedule rows kept as history) says which rows a
payment whose excess went to principal wrote when that payment was reversed: "dari
pembayaran yang dibatalkan <kuitansi>", in the reader's language; rows replaced by a
payment still in force or by a reschedule carry no such note."""

import re
from decimal import Decimal as D

import pytest
from django.conf import settings

from core.loans.services import loan_repay, loan_repayment_reverse, loan_reschedule


def _history_rows(page: str) -> list[str]:
    """The *Jadwal lama* table's rows, tags stripped, spaces collapsed."""
    table = page.split('id="schedule-history"')[1].split("</table>")[0]
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", "<tr" + row)).strip()
        for row in table.split("<tr")[1:]
        if "<td" in row
    ]


@pytest.mark.parametrize(
    "lang, words",
    [("id", "dari pembayaran yang dibatalkan {r}"), ("en", "from the reversed payment {r}")],
)
def test_old_rows_of_a_reversed_excess_payment_name_it(make_loan, staff, login, lang, words):
    loan = make_loan(days_ago=31)
    on = loan.instalments.get(number=1).due_date
    rep = loan_repay(
        loan=loan, amount=D(5_000_000), by=staff["petugas"], on=on, excess_to="principal"
    )
    loan_repayment_reverse(repayment=rep, by=staff["bendahara"], reason="salah ketik")
    c = login(staff["bendahara"])
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    rows = _history_rows(c.get(f"/pinjaman/{loan.pk}/").content.decode())
    # rows 3-10 were re-amortised by it (version 2), all history now
    assert len(rows) == 8
    note = words.format(r=rep.receipt_number)
    assert all(r.startswith("v2 ") and r.endswith(note) for r in rows), rows


def test_old_rows_of_a_payment_in_force_or_a_reschedule_carry_no_note(
    make_loan, staff, login, today
):
    loan = make_loan(days_ago=31)
    on = loan.instalments.get(number=1).due_date
    rep = loan_repay(
        loan=loan, amount=D(5_000_000), by=staff["petugas"], on=on, excess_to="principal"
    )
    loan_repayment_reverse(repayment=rep, by=staff["bendahara"], reason="salah ketik")
    kept = loan_repay(
        loan=loan, amount=D(3_000_000), by=staff["petugas"], on=on, excess_to="principal"
    )
    loan_reschedule(loan=loan, by=staff["ketua"], tenor=12, reason="gaji turun", on=today)
    rows = _history_rows(login(staff["bendahara"]).get(f"/pinjaman/{loan.pk}/").content.decode())
    marked = [r for r in rows if "dibatalkan" in r]
    assert marked and all(r.startswith("v2 ") for r in marked)
    assert all(r.endswith(f"dari pembayaran yang dibatalkan {rep.receipt_number}") for r in marked)
    # version 1's rows replaced by the payment in force and version 3's by the reschedule
    assert {r.split()[0] for r in rows if "dibatalkan" not in r} == {"v1", "v3"}
    assert kept.receipt_number not in " ".join(rows)


def test_schedule_api_names_the_reversed_payment_of_history_rows(make_loan, staff, login):
    loan = make_loan(days_ago=31)
    on = loan.instalments.get(number=1).due_date
    rep = loan_repay(
        loan=loan, amount=D(5_000_000), by=staff["petugas"], on=on, excess_to="principal"
    )
    loan_repayment_reverse(repayment=rep, by=staff["bendahara"], reason="salah ketik")
    c = login(staff["bendahara"])
    rows = c.get(f"/api/v1/loans/{loan.pk}/schedule/", {"history": "1"}).json()
    old = [r for r in rows if not r["is_current"]]
    assert len(old) == 8
    assert {(r["version"], r["from_reversed_payment"]) for r in old} == {(2, rep.receipt_number)}
    assert {r["from_reversed_payment"] for r in rows if r["is_current"]} == {None}
    current = c.get(f"/api/v1/loans/{loan.pk}/schedule/").json()
    assert current and {r["from_reversed_payment"] for r in current} == {None}
