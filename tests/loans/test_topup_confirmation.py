"""The disbursement confirmation of a top-up says, before it is confirmed, when the top-up
is a restructuring (the old loan in arrears): the jasa and penalty the new loan carries
deferred and the grade it inherits, as the disbursement then posts them. A top-up of a
loan with nothing overdue shows no such notice."""

from decimal import Decimal as D

from core.common.money import format_rupiah
from core.loans.models import Loan
from core.loans.services import loan_payoff_quote, loan_repay
from tests.loans.test_money_review import _topup
from tests.loans.test_restructuring import _bad_loan


def _confirm_box(client_a, user, loan, on) -> str:
    client_a.force_login(user)
    r = client_a.post(f"/pinjaman/{loan.pk}/disburse/", {"on": on.isoformat(), "via": "cash"})
    assert r.status_code == 200
    return r.content.decode().split('id="confirm"')[1]


def test_topup_of_a_loan_in_arrears_says_it_is_a_restructuring_with_amount_and_grade(
    staff, member, product, client_a, today
):
    old = _bad_loan(staff, member, product, today)  # about 214 days late: Diragukan
    q = loan_payoff_quote(loan=old, on=today)
    deferred = q["jasa"] + q["penalty"]
    assert q["jasa"] == D(800_000) and q["penalty"] > 0
    new = _topup(staff, member, product, old, D(15_000_000), today)
    box = _confirm_box(client_a, staff["bendahara"], new, today)
    notice = box.split('id="confirm-notice"')[1].split("</p>")[0]
    assert "restrukturisasi" in notice and old.number in notice
    assert format_rupiah(deferred) in notice
    assert "Diragukan" in notice and "3 angsuran tepat waktu" in notice
    new.refresh_from_db()
    assert new.status == Loan.Status.APPROVED  # nothing posted yet

    r = client_a.post(
        f"/pinjaman/{new.pk}/disburse/",
        {"on": today.isoformat(), "via": "cash", "confirmed": "1"},
    )
    assert r.status_code == 302
    new.refresh_from_db()
    # what was shown is what was posted
    assert new.deferred_jasa == deferred
    assert (new.restructured_grade, new.kolektibilitas) == ("diragukan", "diragukan")


def test_topup_of_a_loan_with_nothing_overdue_shows_no_restructuring_notice(
    make_loan, staff, member, product, client_a, today
):
    old = make_loan(principal=D(10_000_000), tenor=10, days_ago=40)
    r1 = old.instalments.get(number=1)
    loan_repay(loan=old, amount=D(1_100_000), by=staff["petugas"], on=r1.due_date)
    new = _topup(staff, member, product, old, D(20_000_000), today)
    box = _confirm_box(client_a, staff["bendahara"], new, today)
    assert "Pelunasan pinjaman lama" in box  # it is a top-up confirmation
    assert 'id="confirm-notice"' not in box
    assert "restrukturisasi" not in box and "ditangguhkan" not in box
