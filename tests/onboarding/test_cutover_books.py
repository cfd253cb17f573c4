"""The cut-over and the books a move-in leaves: a cut-over the books cannot open refused;
the same member file run twice brings no second opening balance; a member import dated
other than the cut-over is named at go-live; after go-live the trial balance at the
cut-over is the imported one and every sub-ledger (savings per kind and per member,
loans outstanding, PPAP, jasa arrears) reconciles with its control account."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.test import Client

from core.common.dates import format_tanggal
from core.common.errors import ApplicationError
from core.ledger.models import Account, FiscalYear, JournalEntry, JournalLine
from core.ledger.reconciliation import subledgers_reconcile
from core.ledger.reports import trial_balance
from core.ledger.services import LineSpec, books_start, journal_post
from core.loans.models import Loan
from core.loans.selectors import loans_reconciliation
from core.members.models import Member, MemberImport
from core.onboarding.models import MoveIn
from core.onboarding.selectors import move_in_reconciliation
from core.onboarding.services import (
    move_in_go_live,
    move_in_start,
    move_in_undo,
    trial_balance_post,
)
from core.savings.member_import import member_import_run, member_import_upload
from core.savings.models import SavingsAccount, SavingsTransaction
from core.savings.selectors import savings_reconciliation
from tests.members.test_import import rows as member_rows
from tests.members.test_import import to_csv

from .helpers import TB, members_import, tb_rows


def _counts():
    return (
        JournalEntry.objects.count(),
        JournalLine.objects.count(),
        Member.objects.count(),
        SavingsAccount.objects.count(),
        SavingsTransaction.objects.count(),
        FiscalYear.objects.count(),
    )


def test_cutover_before_the_year_the_books_may_open_refused_nothing_written(by):
    before = _counts()
    too_early = date(books_start().year - 2, 12, 31)
    with pytest.raises(ApplicationError) as e:
        move_in_start(cutover_date=too_early, by=by)
    assert e.value.code == "onboarding_cutover_invalid"
    assert format_tanggal(too_early) in e.value.message
    assert not MoveIn.objects.exists() and _counts() == before


def test_same_member_file_run_twice_brings_no_second_opening_balance(moved, by, cutover):
    content = to_csv(member_rows(2))
    first = member_import_upload(content=content, file_name="a.csv", by=by)
    member_import_run(batch=first, opening_date=cutover, by=by)
    with pytest.raises(ApplicationError) as e:  # the same batch again
        member_import_run(batch=first, opening_date=cutover, by=by)
    assert e.value.code == "import_already_done"
    before = _counts()
    again = member_import_upload(content=content, file_name="a.csv", by=by)  # uploaded again
    if again.status == "valid":
        with pytest.raises(ApplicationError) as e:
            member_import_run(batch=again, opening_date=cutover, by=by)
        assert e.value.code == "import_invalid_rows"
    assert _counts()[1:5] == before[1:5]  # no member, account or opening balance twice
    assert move_in_reconciliation(move_in=moved)["agrees"]


def test_member_import_dated_other_than_the_cutover_named_at_go_live(moved, by, cutover):
    earlier = date(cutover.year, cutover.month, 1)  # the month's first day, by mistake
    members_import(by, earlier)
    before = _counts()
    with pytest.raises(ApplicationError) as e:
        move_in_go_live(move_in=moved, by=by)
    assert e.value.code == "onboarding_not_reconciled"
    assert format_tanggal(earlier) in e.value.message and format_tanggal(cutover) in e.value.message
    batch = MemberImport.objects.get(status="imported")
    assert e.value.fields["member_imports"] == [
        {"id": batch.pk, "file_name": "a.csv", "opening_date": earlier.isoformat()}
    ]
    moved.refresh_from_db()
    assert moved.status == "draft" and _counts() == before


def test_member_import_dated_other_than_the_cutover_shown_by_the_reconciliation(moved, by, cutover):
    earlier = date(cutover.year, cutover.month, 1)
    members_import(by, earlier)
    batch = MemberImport.objects.get(status="imported")

    rec = move_in_reconciliation(move_in=moved)

    assert not rec["agrees"]  # although every control account's figure is the same
    assert all(r["difference"] == "0" for r in rec["rows"])
    assert rec["member_imports_off_cutover"] == [
        {"id": batch.pk, "file_name": "a.csv", "opening_date": earlier.isoformat()}
    ]


def test_member_import_dated_other_than_the_cutover_shown_on_the_page_and_by_the_api(
    moved, by, staff, cutover
):
    earlier = date(cutover.year, cutover.month, 1)
    members_import(by, earlier)
    c = Client(HTTP_HOST="alpha.localhost")
    c.force_login(staff["admin"])

    page = " ".join(c.get("/pindah/").content.decode().split())
    data = c.get("/api/v1/onboarding/reconciliation/").json()

    assert (
        f"Impor anggota dengan tanggal saldo awal selain tanggal pindah {format_tanggal(cutover)}"
        in page
    )
    assert f"a.csv ({format_tanggal(earlier)})" in page
    assert "Semua sama sampai rupiah." not in page
    assert data["agrees"] is False
    assert [(x["file_name"], x["opening_date"]) for x in data["member_imports_off_cutover"]] == [
        ("a.csv", earlier.isoformat())
    ]


def test_member_import_on_the_cutover_leaves_the_reconciliation_agreeing(moved, by, cutover):
    members_import(by, cutover)
    rec = move_in_reconciliation(move_in=moved)
    assert rec["agrees"] and rec["member_imports_off_cutover"] == []


def test_books_at_the_cutover_equal_the_imported_balances_and_every_subledger_reconciles(
    moved, by, cutover
):
    members_import(by, cutover)
    move_in_go_live(move_in=moved, by=by)
    # the trial balance at the cut-over is the one uploaded, line by line; the
    # opening-balance clearing account nets to nothing
    tb = trial_balance(as_of=cutover)
    assert tb["balanced"]
    got = {r["code"]: (r["debit"], r["credit"]) for r in tb["rows"] if r["debit"] or r["credit"]}
    assert got == {c: (D(d or 0), D(k or 0)) for c, (d, k) in TB.items()}
    # savings per kind: the members' balances are the control accounts' figures
    per_account = {}
    for acc in SavingsAccount.objects.select_related("product__account"):
        code = acc.product.account.code
        per_account[code] = per_account.get(code, D(0)) + acc.balance
    assert per_account == {"3101": D("200000"), "3102": D("2500000"), "2101": D("500000")}
    # member by member, account by account, and per control account
    rec = savings_reconciliation(by_member=True)
    assert rec.ok, (rec.rows, rec.account_mismatches, rec.member_mismatches)
    # loans: outstanding, PPAP and jasa arrears per loan sum to their control accounts
    loans = loans_reconciliation(as_of=cutover)
    for item in ("principal", "ppap", "jasa_receivable", "deferred_jasa"):
        assert loans[f"{item}_subledger"] == loans[f"{item}_ledger"], item
    assert loans["principal_subledger"] == D(TB["1103"][0])
    assert loans["ppap_subledger"] == D(TB["1104"][1])
    assert loans["jasa_receivable_subledger"] == D(TB["1105"][0])
    assert Loan.objects.count() == 2
    # and the daily check of every sub-ledger finds nothing
    run = subledgers_reconcile()
    assert run.ok, [r for r in run.results if not r["ok"]]
    assert Account.objects.get(code="3106").pk  # the clearing account exists (not shown)


def test_trial_balance_refused_over_an_opening_journal_already_posted(move_in, by, cutover):
    """The setup offers a manual opening journal or the move-in: both would double the
    opening balances (the reconciliation reads control accounts only, so go-live would
    not see it)."""
    earlier = journal_post(
        on=cutover,
        description="Saldo awal (jurnal manual)",
        source="opening",
        source_ref="manual-opening",
        by=by,
        lines=[LineSpec("1101", debit=D("50000000")), LineSpec("3103", credit=D("50000000"))],
    )
    before = _counts()
    with pytest.raises(ApplicationError) as e:
        trial_balance_post(move_in=move_in, rows=tb_rows(), by=by)
    assert e.value.code == "onboarding_wrong_state"
    assert str(earlier) in e.value.message, e.value.message
    assert _counts() == before
    move_in.refresh_from_db()
    assert move_in.opening_entry_id is None


def test_trial_balance_posted_over_member_imports_and_an_undone_move_in(by, cutover, agencies):
    """What may precede the trial balance: the member import's opening balances (step 3
    in any order) and a move-in undone (its entries reversed)."""
    first = move_in_start(cutover_date=cutover, by=by)
    trial_balance_post(move_in=first, rows=tb_rows(), by=by)
    move_in_undo(move_in=first, reason="salah angka", by=by)
    second = move_in_start(cutover_date=cutover, by=by)
    members_import(by, cutover)
    entry = trial_balance_post(move_in=second, rows=tb_rows(), by=by)
    assert entry.date == cutover


def test_cutover_cannot_be_changed_after_imports_ran(moved, staff, cutover):
    c = Client(HTTP_HOST="alpha.localhost")
    c.force_login(staff["bendahara"])
    before = _counts()
    other = date(cutover.year, cutover.month, 1) - timedelta(days=1)
    r = c.post("/api/v1/onboarding/", {"cutover_date": other.isoformat()}, "application/json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "onboarding_move_in_exists"
    assert MoveIn.objects.get().cutover_date == cutover and _counts() == before
