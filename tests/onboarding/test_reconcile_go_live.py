"""Reconciliation of the sub-ledgers brought in with the opening trial balance's control
accounts; go-live (refused until they agree; closes the months up to the cut-over);
undo until the first real posting after the cut-over."""

from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from core.common.dates import format_tanggal
from core.common.errors import ApplicationError
from core.ledger.models import Account, JournalEntry, Period
from core.ledger.selectors import account_balance
from core.ledger.services import LineSpec, journal_post
from core.loans.arrears import loans_arrears_update
from core.loans.models import Loan, LoanDocument, LoanGradeSnapshot
from core.loans.selectors import loans_reconciliation
from core.onboarding.loans_import import loans_import
from core.onboarding.selectors import move_in_reconciliation
from core.onboarding.services import (
    move_in_adjust,
    move_in_go_live,
    move_in_start,
    move_in_undo,
    real_postings_after,
    trial_balance_post,
)
from tests.loans.conftest import month_close_as_treasurer

from .helpers import TB, arrears_row, loan_row, members_import, tb_rows


def _diffs(rec):
    return {r["account"]: D(r["difference"]) for r in rec["rows"] if r["difference"] != "0"}


def test_savings_missing_listed_per_account_and_go_live_refused(moved, by):
    rec = move_in_reconciliation(move_in=moved)
    assert not rec["agrees"]
    assert _diffs(rec) == {"3101": D("-200000"), "3102": D("-2500000"), "2101": D("-500000")}
    loans = {r["account"]: r for r in rec["rows"] if r["account"] in ("1103", "1104", "1105")}
    assert loans["1103"]["subledger"] == "12000000" and loans["1103"]["items"] == 2
    assert loans["1104"]["subledger"] == "60000" and loans["1105"]["subledger"] == "240000"
    with pytest.raises(ApplicationError) as e:
        move_in_go_live(move_in=moved, by=by)
    assert e.value.code == "onboarding_not_reconciled"
    assert {d["account"] for d in e.value.fields["differences"]} == {"3101", "3102", "2101"}
    assert not Period.objects.filter(status="closed").exists()


def test_loan_missing_shows_on_receivable_ppap_and_jasa(move_in, by, members, product, cutover):
    trial_balance_post(move_in=move_in, rows=tb_rows(), by=by)
    loans_import(move_in=move_in, rows=[loan_row(members[0], cutover)], by=by)
    d = _diffs(move_in_reconciliation(move_in=move_in))
    assert d["1103"] == D("-7000000") and d["1104"] == D("-35000") and d["1105"] == D("-240000")


def test_agreeing_move_in_goes_live_and_books_equal_the_uploaded_trial_balance(moved, by, cutover):
    members_import(by, cutover)
    rec = move_in_reconciliation(move_in=moved)
    assert rec["agrees"], rec
    mi = move_in_go_live(move_in=moved, by=by)
    assert mi.status == "live"
    for code, (d, k) in TB.items():
        acc = Account.objects.get(code=code)
        want = D(d or 0) - D(k or 0)
        got = account_balance(account=acc, as_of=cutover) * acc.sign
        assert got == want, code
    clearing = Account.objects.get(code="3106")
    assert account_balance(account=clearing, as_of=cutover) == 0
    assert not Period.objects.filter(end_date__lte=cutover, status="open").exists()
    assert Period.objects.filter(start_date__gt=cutover, status="open").exists()
    with pytest.raises(ApplicationError):  # the opening can no longer change by backdating
        journal_post(
            on=cutover,
            description="x",
            lines=[LineSpec("1101", debit=1), LineSpec("3103", credit=1)],
            by=by,
        )


def test_undo_removes_loans_and_reverses_the_opening_entry(moved, by, staff, cutover):
    from core.members.models import Member
    from core.savings.models import SavingsAccount, SavingsTransaction

    before = set(Member.objects.values_list("pk", flat=True))
    members_import(by, cutover)
    assert Member.objects.count() == len(before) + 2 and SavingsAccount.objects.exists()
    move_in_go_live(move_in=moved, by=by)
    mi = move_in_undo(move_in=moved, reason="salah tanggal", by=staff["admin"])
    assert mi.status == "undone"
    assert not Loan.objects.exists()
    # the member import of step 2 is gone too: members, accounts, opening balances
    assert set(Member.objects.values_list("pk", flat=True)) == before
    assert not SavingsAccount.objects.exists() and not SavingsTransaction.objects.exists()
    for code in TB:  # every account of the opening is back to nothing
        acc = Account.objects.get(code=code)
        assert account_balance(account=acc, as_of=cutover) == 0, code
    assert account_balance(account=Account.objects.get(code="3106"), as_of=cutover) == 0
    assert JournalEntry.objects.filter(reverses_id=moved.opening_entry_id).exists()
    assert not Period.objects.filter(status="closed").exists()
    assert move_in_start(cutover_date=cutover, by=by).status == "draft"  # can start again


def test_undo_refused_after_a_real_posting(moved, by, staff):
    journal_post(
        on=timezone.localdate(),
        description="Biaya kantor",
        lines=[LineSpec("1102", debit=1000), LineSpec("1101", credit=1000)],
        by=by,
    )
    with pytest.raises(ApplicationError) as e:
        move_in_undo(move_in=moved, reason="coba", by=staff["admin"])
    assert e.value.code == "onboarding_undo_refused"
    assert Loan.objects.count() == 2


def test_undo_refused_once_a_month_after_the_cutover_is_closed(moved, by, staff, cutover):
    """Closed after the go-live, the month after the cut-over holds the opening's
    reversals' date in closed books: the undo says so and what to do, and changes
    nothing (not the ledger's bare "books closed" half-way through)."""
    members_import(by, cutover)
    move_in_go_live(move_in=moved, by=by)
    after = Period.objects.filter(start_date__gt=cutover).order_by("start_date").first()
    # in January and February the month after the cut-over may be December: closed as the
    # treasurer does, after the year-end arrears run
    month_close_as_treasurer(period=after, by=by)
    before = (
        JournalEntry.objects.count(),
        Loan.objects.count(),
        list(Period.objects.filter(status="closed").values_list("pk", flat=True)),
    )
    with pytest.raises(ApplicationError) as e:
        move_in_undo(move_in=moved, reason="salah tanggal", by=staff["admin"])
    err = e.value
    assert err.code == "onboarding_undo_refused", (err.code, err.message)
    assert err.status_code == 409
    assert format_tanggal(after.end_date) in err.message, err.message
    assert format_tanggal(cutover) in err.message and "buka kembali" in err.message, err.message
    assert (
        JournalEntry.objects.count(),
        Loan.objects.count(),
        list(Period.objects.filter(status="closed").values_list("pk", flat=True)),
    ) == before
    moved.refresh_from_db()
    assert moved.status == "live"


def test_a_move_in_done_again_can_still_be_undone_until_a_real_posting(move_in, by, staff, cutover):
    """The first move-in undone (its opening entry reversed, dated the cut-over) and done
    again: the first undo's reversal is no real posting, so the second move-in can be
    undone too; a real posting after it still stops the undo."""
    trial_balance_post(move_in=move_in, rows=tb_rows(), by=by)
    move_in_undo(move_in=move_in, reason="salah angka", by=staff["admin"])
    again = move_in_start(cutover_date=cutover, by=by)
    trial_balance_post(move_in=again, rows=tb_rows(), by=by)
    assert real_postings_after(again) == 0
    assert move_in_undo(move_in=again, reason="salah lagi", by=staff["admin"]).status == "undone"
    third = move_in_start(cutover_date=cutover, by=by)
    trial_balance_post(move_in=third, rows=tb_rows(), by=by)
    journal_post(
        on=timezone.localdate(),
        description="Biaya kantor",
        lines=[LineSpec("1102", debit=1000), LineSpec("1101", credit=1000)],
        by=by,
    )
    assert real_postings_after(third) == 1
    with pytest.raises(ApplicationError) as e:
        move_in_undo(move_in=third, reason="coba", by=staff["admin"])
    assert e.value.code == "onboarding_undo_refused"


def test_undo_after_a_month_end_arrears_run_removes_the_grade_snapshots(moved, by, staff, cutover):
    members_import(by, cutover)
    move_in_go_live(move_in=moved, by=by)
    run = loans_arrears_update(on=cutover)  # the nightly run dated the cut-over, a month end
    assert run.entry_id is None  # grades as brought in: no PPAP change, no journal entry
    assert LoanGradeSnapshot.objects.count() == 2
    assert real_postings_after(moved) == 0  # so the undo is still offered
    mi = move_in_undo(move_in=moved, reason="salah tanggal", by=staff["admin"])
    assert mi.status == "undone"
    assert not Loan.objects.exists() and not LoanGradeSnapshot.objects.exists()


def test_undo_page_after_a_month_end_arrears_run(moved, by, staff, cutover):
    members_import(by, cutover)
    move_in_go_live(move_in=moved, by=by)
    loans_arrears_update(on=cutover)
    c = Client(HTTP_HOST="alpha.localhost", raise_request_exception=False)
    c.force_login(staff["admin"])
    r = c.post("/pindah/", {"action": "undo", "reason": "salah tanggal"})
    assert r.status_code == 302
    moved.refresh_from_db()
    assert moved.status == "undone" and not Loan.objects.exists()


def test_undo_refused_when_a_brought_in_loan_is_used_elsewhere(moved, by, staff):
    loan = Loan.objects.order_by("pk").first()
    LoanDocument.objects.create(
        loan=loan,
        kind=LoanDocument.Kind.OTHER,
        file=SimpleUploadedFile("surat.pdf", b"%PDF-1.4"),
        uploaded_by=by,
    )
    with pytest.raises(ApplicationError) as e:
        move_in_undo(move_in=moved, reason="coba", by=staff["admin"])
    assert e.value.code == "onboarding_undo_refused"
    assert "dokumen pinjaman" in e.value.message
    c = Client(HTTP_HOST="alpha.localhost", raise_request_exception=False)
    c.force_login(staff["admin"])
    r = c.post("/pindah/", {"action": "undo", "reason": "coba"})
    assert r.status_code == 200 and "tidak dapat dibatalkan" in r.content.decode()
    assert Loan.objects.count() == 2


def test_deferred_jasa_in_the_trial_balance_is_reconciled_before_go_live(
    move_in, by, members, product, cutover, agencies
):
    tb = dict(TB)
    tb["3103"] = ("", "58680000")  # 300,000 of the reserve ...
    tb["2115"] = ("", "300000")  # ... is deferred jasa of restructured loans in the old books
    rows = [
        {"row": i, "account": c, "debit": d, "credit": k}
        for i, (c, (d, k)) in enumerate(tb.items(), start=2)
    ]
    trial_balance_post(move_in=move_in, rows=rows, by=by)
    loans_import(
        move_in=move_in,
        rows=[loan_row(members[0], cutover), arrears_row(members[1], cutover)],
        by=by,
    )
    members_import(by, cutover)
    rec = move_in_reconciliation(move_in=move_in)
    assert not rec["agrees"]
    assert _diffs(rec) == {"2115": D("-300000")}  # no loan brought in carries deferred jasa
    with pytest.raises(ApplicationError) as e:
        move_in_go_live(move_in=move_in, by=by)
    assert e.value.code == "onboarding_not_reconciled"
    assert {d["account"] for d in e.value.fields["differences"]} == {"2115"}
    move_in_adjust(
        move_in=move_in,
        account="2115",
        offset_account="3103",
        explanation="Jasa ditangguhkan buku lama diakui sebagai cadangan",
        by=by,
    )
    assert move_in_reconciliation(move_in=move_in)["agrees"]
    move_in_go_live(move_in=move_in, by=by)
    daily = loans_reconciliation()  # the ledger's daily check agrees from day one
    assert daily["deferred_jasa_subledger"] == daily["deferred_jasa_ledger"] == 0
