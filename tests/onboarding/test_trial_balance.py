"""The move-in record and the opening trial balance: one opening entry dated the
cut-over, per-row errors, nothing written on any error."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone, translation

from core.common.errors import ApplicationError
from core.ledger.models import Account, JournalEntry
from core.ledger.selectors import account_balance
from core.onboarding.models import MoveIn
from core.onboarding.services import move_in_start, trial_balance_post

TB = [
    {"row": 2, "account": "1101", "debit": "50.000.000", "credit": ""},
    {"row": 3, "account": "Piutang Pinjaman Anggota", "debit": "12000000", "credit": ""},
    {"row": 4, "account": "1104", "debit": "", "credit": "60000"},
    {"row": 5, "account": "3103", "debit": "", "credit": "61.940.000"},
]


def test_cutover_first_and_one_move_in_at_a_time(by, cutover):
    mi = move_in_start(cutover_date=cutover, by=by)
    assert mi.status == "draft" and mi.trial_balance_step == "pending"
    with pytest.raises(ApplicationError) as e:
        move_in_start(cutover_date=cutover, by=by)
    assert e.value.code == "onboarding_move_in_exists"


def test_cutover_in_future_refused(by):
    with pytest.raises(ApplicationError) as e:
        # a year ahead (``replace(year=…)`` has no 29 February next year)
        move_in_start(cutover_date=timezone.localdate() + timedelta(days=365), by=by)
    assert e.value.code == "onboarding_cutover_invalid"
    assert not MoveIn.objects.exists()


def test_petugas_may_not_start(staff, cutover):
    with pytest.raises(ApplicationError) as e:
        move_in_start(cutover_date=cutover, by=staff["petugas"])
    assert e.value.status_code == 403


def test_trial_balance_posted_as_one_opening_entry_dated_cutover(move_in, by, cutover):
    entry = trial_balance_post(move_in=move_in, rows=TB, by=by)
    assert entry.source == "opening" and entry.date == cutover
    assert entry.lines.count() == 4
    # control accounts (receivable, PPAP) carried by the opening entry
    assert account_balance(account=Account.objects.get(code="1103"), as_of=cutover) == D("12000000")
    assert account_balance(account=Account.objects.get(code="1104"), as_of=cutover) == D("60000")
    assert account_balance(account=Account.objects.get(code="3103"), as_of=cutover) == D("61940000")
    move_in.refresh_from_db()
    assert move_in.trial_balance_step == "done" and move_in.opening_entry_id == entry.pk
    assert len(move_in.trial_balance_rows) == 4  # saved: the step can be shown again


def test_unbalanced_trial_balance_refused_nothing_written(move_in, by):
    rows = [dict(r) for r in TB]
    rows[0]["debit"] = "50.000.001"
    before = JournalEntry.objects.count()
    with pytest.raises(ApplicationError) as e:
        trial_balance_post(move_in=move_in, rows=rows, by=by)
    assert e.value.code == "onboarding_unbalanced"
    assert "selisih Rp 1." in e.value.message
    assert JournalEntry.objects.count() == before


def test_unbalanced_trial_balance_names_the_amounts_in_rupiah_in_english_too(move_in, by):
    """As every screen shows an amount (``format_rupiah``), in English too."""
    rows = [dict(r) for r in TB]
    rows[0]["debit"] = "50.000.001"
    with translation.override("en"), pytest.raises(ApplicationError) as e:
        trial_balance_post(move_in=move_in, rows=rows, by=by)
    assert e.value.message.endswith(", difference Rp 1."), e.value.message
    assert "debit Rp " in e.value.message and "credit Rp " in e.value.message


def test_every_row_error_reported_at_once_nothing_written(move_in, by):
    rows = TB + [
        {"row": 6, "account": "9999", "debit": "1", "credit": ""},
        {"row": 7, "account": "11", "debit": "1", "credit": ""},  # a group account
        {"row": 8, "account": "1102", "debit": "1,5", "credit": ""},  # sen
        {"row": 9, "account": "1102", "debit": "5", "credit": "5"},
        {"row": 10, "account": "1101", "debit": "5", "credit": ""},  # twice
    ]
    with pytest.raises(ApplicationError) as e:
        trial_balance_post(move_in=move_in, rows=rows, by=by)
    assert e.value.code == "onboarding_rows_invalid"
    errs = {r["row"]: r for r in e.value.fields["rows"]}
    assert set(errs) == {6, 7, 8, 9, 10}
    assert "9999" in errs[6]["message"] and "tidak ada" in errs[6]["message"]
    assert "kelompok" in errs[7]["message"]
    assert errs[8]["field"] == "debit"
    assert "baris 2" in errs[10]["message"]
    assert not JournalEntry.objects.filter(source="opening").exists()


def test_unknown_account_mapped_or_created(move_in, by, cutover):
    rows = [
        {"row": 2, "account": "KAS BESAR", "debit": "1000000", "credit": ""},
        {"row": 3, "account": "Gedung Serbaguna", "debit": "4000000", "credit": ""},
        {"row": 4, "account": "3103", "debit": "", "credit": "5000000"},
    ]
    entry = trial_balance_post(
        move_in=move_in,
        rows=rows,
        by=by,
        mappings={"KAS BESAR": "1101"},
        creations={
            "Gedung Serbaguna": {"code": "1299", "name": "Gedung Serbaguna", "parent": "12"}
        },
    )
    new = Account.objects.get(code="1299")
    assert new.parent.code == "12" and not new.is_group and new.type == "asset"
    assert account_balance(account=new, as_of=cutover) == D("4000000")
    assert account_balance(account=Account.objects.get(code="1101"), as_of=cutover) == D("1000000")
    assert entry.lines.count() == 3


def test_created_account_rolled_back_when_the_entry_fails(move_in, by):
    rows = [
        {"row": 2, "account": "Gedung", "debit": "4000000", "credit": ""},
        {"row": 3, "account": "3103", "debit": "", "credit": "4000001"},
    ]
    with pytest.raises(ApplicationError):
        trial_balance_post(
            move_in=move_in,
            rows=rows,
            by=by,
            creations={"Gedung": {"code": "1299", "name": "Gedung", "parent": "12"}},
        )
    assert not Account.objects.filter(code="1299").exists()


def test_savings_lines_go_to_the_opening_clearing_account(move_in, by, cutover):
    rows = [
        {"row": 2, "account": "1101", "debit": "3000000", "credit": ""},
        {"row": 3, "account": "3102", "debit": "", "credit": "3000000"},  # simpanan wajib
    ]
    entry = trial_balance_post(move_in=move_in, rows=rows, by=by)
    codes = set(entry.lines.values_list("account__code", flat=True))
    assert codes == {"1101", "3106"}  # the member import credits 3102 per member


def test_trial_balance_posted_once(move_in, by):
    trial_balance_post(move_in=move_in, rows=TB, by=by)
    with pytest.raises(ApplicationError) as e:
        trial_balance_post(move_in=move_in, rows=TB, by=by)
    assert e.value.code == "onboarding_wrong_state"


def test_database_refuses_a_second_active_move_in(move_in, by, cutover):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        MoveIn.objects.create(cutover_date=cutover, created_by=by, status="draft")
    MoveIn.objects.filter(pk=move_in.pk).update(status="undone")
    assert MoveIn.objects.create(cutover_date=cutover, created_by=by).pk
