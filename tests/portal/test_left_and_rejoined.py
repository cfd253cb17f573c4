"""A member who left still sees their history, read-only, with the figures the staff
pages and the books hold; an exit reversed puts everything back; a person who left and
joined again (the login moved to the new membership) still finds the earlier
membership's savings, loans and payroll deductions, named as such, beside its SHU."""

from datetime import date

import pytest
from django.template.defaultfilters import date as date_filter

from core.common.money import format_rupiah
from core.ledger.selectors import account_for_role

from .conftest import (
    D,
    Y,
    assert_books_hold,
    books_open_back_to,
    client_for,
    deposit,
    ledger_member_balance,
    loan_disbursed,
    loan_product,
    payroll_month,
    text,
)

PERIOD = {"date_from": f"{Y}-01-01", "date_to": f"{Y}-12-31"}
LEFT = date(Y, 4, 30)


@pytest.fixture
def saver(staff, rina):
    """Rina's last year until March: pokok, wajib, sukarela 20.000.000; a loan of 5.000.000
    from 15 January, February's payroll cut in full."""
    from core.deductions.services import deduction_settings_update

    by = staff["bendahara"]
    books_open_back_to(Y)
    deduction_settings_update(by=by, cutoff_day=20, priority="jasa,principal,wajib,others")
    deposit(rina, "pokok", "100000", date(Y, 1, 5), by)
    deposit(rina, "wajib", "600000", date(Y, 1, 5), by)
    deposit(rina, "sukarela", "20000000", date(Y, 1, 5), by)
    loan = loan_disbursed(
        rina, loan_product(), staff, "5000000", 10, date(Y, 1, 15), date(Y, 2, 20)
    )
    payroll_month(rina, 2, "600000", date(Y, 2, 25), by)
    loan.refresh_from_db()
    return {"loan": loan}


def _exit(member, on, by):
    from core.exits.services import exit_settlement_confirm, exit_settlement_preview

    preview = exit_settlement_preview(member=member, on=on)
    return exit_settlement_confirm(
        member=member, reason="resigned", on=on, by=by, expected_net=preview.net_payable
    )


def _figures_agree(tenant_a, staff, member, login):
    """Every balance and loan figure of the portal is the staff member page's and the
    books'."""
    portal = client_for(tenant_a, login)
    home = portal.get("/portal/")
    ov = client_for(tenant_a, staff["pengawas"]).get(f"/anggota/{member.pk}/").context["ov"]
    assert [(a.pk, a.balance, a.status) for a in home.context["accounts"]] == [
        (a.pk, a.balance, a.status) for a in ov.accounts
    ]
    assert home.context["savings_total"] == ov.savings_total
    for a in ov.accounts:
        assert ledger_member_balance(member, a.product.account) == a.balance
    assert [(ln.pk, ln.status, ln.principal_outstanding) for ln in home.context["loans"]] == [
        (v.loan.pk, v.loan.status, v.loan.principal_outstanding) for v in ov.loans
    ]
    assert ledger_member_balance(member, account_for_role("loan_receivable")) == sum(
        v.loan.principal_outstanding for v in ov.loans
    )
    assert_books_hold()
    return portal


def test_a_member_who_left_sees_their_history_and_that_they_left(tenant_a, staff, rina, saver):
    _exit(rina, LEFT, staff["bendahara"])
    rina.refresh_from_db()
    portal = _figures_agree(tenant_a, staff, rina, rina.user)
    home = text(portal.get("/portal/").content.decode())
    assert (
        f"Keanggotaan Anda berakhir {date_filter(LEFT)} (Keluar). "
        "Riwayat di bawah dapat dilihat, tidak dapat diubah."
    ) in home
    assert "Simpanan Rp 0" in home
    # the savings paid out, the loan settled from them: each on its page
    tx = portal.get("/portal/transaksi/", PERIOD)
    for s in tx.context["statement"]:
        assert s.closing == 0 and s.account.status == "closed"
        assert s.rows[-1].kind == "settlement" and s.rows[-1].on == LEFT
    loan = saver["loan"]
    page = portal.get(f"/portal/pinjaman/{loan.pk}/")
    assert page.status_code == 200
    assert [p.channel for p in page.context["payments"]][:1] == ["settlement"]
    for url in ("/portal/pinjaman/", "/portal/potong-gaji/", "/portal/shu/"):
        assert portal.get(url).status_code == 200, url


def test_an_exit_reversed_puts_every_figure_back(tenant_a, staff, rina, saver):
    from core.exits.services import exit_settlement_reverse

    before = {
        a.pk: a.balance for a in client_for(tenant_a, rina.user).get("/portal/").context["accounts"]
    }
    settlement = _exit(rina, LEFT, staff["bendahara"])
    exit_settlement_reverse(
        settlement=settlement, by=staff["bendahara"], reason="salah anggota", on=date(Y, 5, 4)
    )
    rina.refresh_from_db()
    portal = _figures_agree(tenant_a, staff, rina, rina.user)
    home = portal.get("/portal/")
    # the jasa simpanan the exit credited is taken back for the monthly run to pay
    assert {a.pk: a.balance for a in home.context["accounts"]} == before
    assert "Keanggotaan Anda berakhir" not in text(home.content.decode())
    assert saver["loan"].pk in [ln.pk for ln in home.context["loans"] if ln.is_running]


def test_who_joined_again_still_finds_the_earlier_memberships_history(tenant_a, staff, rina, saver):
    from core.members.services import member_create

    by = staff["bendahara"]
    _exit(rina, LEFT, by)
    again = member_create(
        by="tests",
        full_name=rina.full_name,
        nip=rina.nip,
        nik=rina.nik,
        agency=rina.agency,
        join_date=date(Y, 6, 1),
    )
    deposit(again, "pokok", "100000", date(Y, 6, 1), by)
    rina.refresh_from_db()
    again.refresh_from_db()
    assert again.user_id is not None and rina.user_id is None
    login = again.user
    portal = _figures_agree(tenant_a, staff, again, login)
    earlier = f"Keanggotaan sebelumnya, No. {rina.number} (keluar {date_filter(LEFT)})"

    home = text(portal.get("/portal/").content.decode())
    assert f"No. anggota {again.number}" in home and earlier in home
    assert "Simpanan Rp 100.000" in home

    # savings: the new membership's account, then the earlier one's, closed at the exit
    tx = portal.get("/portal/transaksi/", PERIOD)
    page = text(tx.content.decode())
    assert earlier in page
    (old_group,) = tx.context["earlier_statements"]
    assert old_group["membership"].pk == rina.pk
    old = {s.account.product.kind: s for s in old_group["statement"]}
    assert old["sukarela"].rows[0].amount == D("20000000")
    assert all(s.closing == 0 for s in old.values())
    assert [s.account.member_id for s in tx.context["statement"]] == [again.pk]

    # the earlier membership's loan, named as such, and its page
    loan = saver["loan"]
    loans = portal.get("/portal/pinjaman/")
    assert loan.pk in [ln.pk for ln in loans.context["loans"]]
    listing = text(loans.content.decode())
    assert f"{loan.number} · PTL Pinjaman Uang" in listing and earlier in listing
    detail = portal.get(f"/portal/pinjaman/{loan.pk}/")
    assert detail.status_code == 200 and earlier in text(detail.content.decode())

    # the payroll month of the earlier membership
    ded = portal.get("/portal/potong-gaji/")
    rows = list(ded.context["page"])
    assert [(r["period"], r["realized"]) for r in rows] == [(date(Y, 2, 1), D("600000"))]
    assert rows[0]["membership"].pk == rina.pk
    assert (
        f"Februari {Y} keanggotaan sebelumnya, No. {rina.number} {format_rupiah(D('600000'))}"
    ) in text(ded.content.decode())


def test_a_loan_settled_at_the_exit_says_so_not_a_stand_in_receipt(tenant_a, staff, rina, saver):
    """The loan offset against the savings at the exit: its payment says it was counted
    in the exit settlement, on the exit date, with what it settled — not a stand-in
    receipt number (the settlement issues none for it)."""
    import re

    _exit(rina, LEFT, staff["bendahara"])
    rina.refresh_from_db()
    portal = client_for(tenant_a, rina.user)
    loan = saver["loan"]
    page = portal.get(f"/portal/pinjaman/{loan.pk}/")
    rep = next(p for p in page.context["payments"] if p.channel == "settlement")
    section = page.content.decode().split('id="portal-loan-payments"', 1)[1]
    rows = [text(r) for r in section.split("<tr")[2:]]
    (row,) = [r for r in rows if "penyelesaian keluar" in r]
    assert rep.receipt_number not in row and not re.search(r"KW-\d{4}-\d{7}", row)
    assert f"Diperhitungkan pada penyelesaian keluar {date_filter(LEFT)}" in row
    assert format_rupiah(rep.principal) in row and format_rupiah(rep.amount) in row
