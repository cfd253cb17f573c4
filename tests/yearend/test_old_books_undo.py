"""Undoing a bring-in of the old books' unpaid SHU (``shu_old_books_undo``): the
treasurer typed a wrong share. Allowed while no share of that year was used (a payout,
reversed or not, or the exit settlement): the bring-in's entry is reversed (a reversing
entry, its lines never touched), the year and its shares go, the year can be brought in
again, and SHU payable's balance naming no member is back where it was. Refused,
nothing written, with what blocks it named."""

from decimal import Decimal

import pytest
from django.test import Client

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.ledger.models import JournalEntry, JournalLine
from core.ledger.reconciliation import subledgers_reconcile
from core.ledger.selectors import account_balance, account_for_role
from core.yearend.models import MemberShare, YearEnd
from core.yearend.old_books import shu_old_books_bring_in, shu_old_books_undo, shu_unassigned
from core.yearend.reversal import shu_payout_reverse
from core.yearend.selectors import shu_subledger_check
from core.yearend.services import shu_payout, shu_shares_settle_at_exit
from tenants.services import tenant_host
from tests.members import factories as f

D = Decimal


def _bring(old_books, figures: list[tuple[int, str, str]]) -> YearEnd:
    return shu_old_books_bring_in(
        year=old_books["year"],
        rat_date=old_books["rat"],
        rat_decision="05/RAT/LAMA",
        rows=[
            {"member_number": old_books["m"][i].number, "jma": jma, "jua": jua}
            for i, jma, jua in figures
        ],
        by=old_books["by"],
    )


def _payable(member_id: int | None = None) -> D:
    return account_balance(account=account_for_role("shu_members_payable"), member_id=member_id)


def _check() -> list[tuple[str, D, D, D]]:
    return [
        (str(r.item), r.subledger_total, r.ledger_balance, r.difference)
        for r in shu_subledger_check()
    ]


def _run_shu() -> list[tuple]:
    """The daily reconciliation's stored ``shu`` rows: item, both sides, ok."""
    return [
        (r["item"], D(r["subledger_total"]), D(r["ledger_balance"]), r["ok"])
        for r in subledgers_reconcile().results
        if r["subledger"] == "shu"
    ]


def _written() -> tuple[int, int, int, int]:
    return (
        JournalEntry.objects.count(),
        JournalLine.objects.count(),
        YearEnd.objects.count(),
        MemberShare.objects.count(),
    )


def _client(old_books, user) -> Client:
    c = Client(HTTP_HOST=tenant_host(old_books["tenant"].slug))
    c.force_login(user)
    return c


def test_undo_reverses_the_entry_and_the_balance_naming_no_member_is_back(old_books):
    before_check = _check()
    before_run = _run_shu()
    ye = _bring(old_books, [(0, "120.000", "30.000"), (1, "100.000", "0")])
    entry = ye.posting_entry
    lines = list(entry.lines.values_list("account_id", "member_id", "debit", "credit"))
    assert shu_unassigned() == D("50000")

    rev = shu_old_books_undo(
        year=old_books["year"], reason="JMA anggota Satu salah ketik", by=old_books["by"]
    )

    assert rev.reverses_id == entry.pk and rev.source == JournalEntry.Source.REVERSAL
    # the bring-in's lines stay as posted; the reversal mirrors them
    assert list(entry.lines.values_list("account_id", "member_id", "debit", "credit")) == lines
    mirrored = list(
        rev.lines.order_by("id").values_list("account_id", "member_id", "credit", "debit")
    )
    assert mirrored == list(
        entry.lines.order_by("id").values_list("account_id", "member_id", "debit", "credit")
    )
    assert not YearEnd.objects.filter(year=old_books["year"]).exists()
    assert not MemberShare.objects.exists()
    assert shu_unassigned() == D("300000") and _payable() == D("300000")
    assert _payable(old_books["m"][0].pk) == _payable(old_books["m"][1].pk) == 0
    # the daily check reads as before the bring-in, every row
    assert _check() == before_check
    assert _run_shu() == before_run
    event = AuditEvent.objects.get(action="yearend.shu.old_books.undo")
    assert event.reason == "JMA anggota Satu salah ketik"
    assert event.data["entry"] == str(entry) and event.data["reversal_entry"] == str(rev)
    assert event.data["total"] == "250000"
    assert event.data["shares"] == [
        {"member": old_books["m"][0].number, "jma": "120000", "jua": "30000"},
        {"member": old_books["m"][1].number, "jma": "100000", "jua": "0"},
    ]


def test_undo_then_bring_in_again_with_other_figures(old_books):
    _bring(old_books, [(0, "300.000", "0")])
    shu_old_books_undo(year=old_books["year"], reason="salah anggota", by=old_books["by"])
    ye = _bring(old_books, [(0, "100.000", "0"), (1, "150.000", "50.000")])
    assert {s.member_id: s.total for s in ye.shares.all()} == {
        old_books["m"][0].pk: D("100000"),
        old_books["m"][1].pk: D("200000"),
    }
    assert _payable(old_books["m"][0].pk) == D("100000") and _payable(old_books["m"][1].pk) == D(
        "200000"
    )
    assert shu_unassigned() == 0
    assert all(r.difference == 0 for r in shu_subledger_check())
    # and undone again, then brought in a third time: each bring-in its own entry
    shu_old_books_undo(year=old_books["year"], reason="lagi", by=old_books["by"])
    third = _bring(old_books, [(1, "1", "0")])
    refs = JournalEntry.objects.filter(source="shu").values_list("source_ref", flat=True)
    assert len(set(refs)) == 3 and third.posting_entry.source_ref in refs
    assert shu_unassigned() == D("299999")


def test_undo_twice_is_refused_and_writes_nothing(old_books):
    _bring(old_books, [(0, "300.000", "0")])
    shu_old_books_undo(year=old_books["year"], reason="salah", by=old_books["by"])
    before = _written()
    with pytest.raises(ApplicationError) as e:
        shu_old_books_undo(year=old_books["year"], reason="salah", by=old_books["by"])
    assert e.value.code == "shu_old_books_not_brought_in" and e.value.status_code == 409
    assert str(old_books["year"]) in str(e.value.message)
    assert _written() == before and shu_unassigned() == D("300000")


def test_undo_after_one_payout_is_refused_naming_the_receipt(old_books):
    _bring(old_books, [(0, "200.000", "0"), (1, "100.000", "0")])
    (payout,) = shu_payout(
        year=old_books["year"],
        items=[(old_books["m"][1].pk, None)],
        method="cash",
        by=old_books["by"],
    )
    before = _written()
    with pytest.raises(ApplicationError) as e:
        shu_old_books_undo(year=old_books["year"], reason="salah", by=old_books["by"])
    assert e.value.code == "shu_old_books_used" and e.value.status_code == 409
    assert payout.receipt_number in str(e.value.message) and "Dua" in str(e.value.message)
    assert _written() == before
    # reversed, the payout still stands on the share's history: still refused
    shu_payout_reverse(payout=payout, reason="salah bayar", by=old_books["by"])
    before = _written()
    with pytest.raises(ApplicationError) as e:
        shu_old_books_undo(year=old_books["year"], reason="salah", by=old_books["by"])
    assert e.value.code == "shu_old_books_used" and "dibatalkan" in str(e.value.message)
    assert _written() == before


def test_undo_after_the_exit_settlement_paid_a_share_is_refused(old_books):
    _bring(old_books, [(0, "200.000", "0"), (1, "100.000", "0")])
    shu_shares_settle_at_exit(member_id=old_books["m"][0].pk, amount=D("200000"))
    before = _written()
    with pytest.raises(ApplicationError) as e:
        shu_old_books_undo(year=old_books["year"], reason="salah", by=old_books["by"])
    assert e.value.code == "shu_old_books_used"
    msg = str(e.value.message)
    assert "Satu" in msg and "penyelesaian keluar" in msg and "Rp 200.000" in msg
    assert _written() == before


def test_undo_refuses_a_year_closed_in_lumbung_a_missing_reason_and_other_roles(old_books):
    _bring(old_books, [(0, "300.000", "0")])
    before = _written()
    with pytest.raises(ApplicationError) as e:
        shu_old_books_undo(year=old_books["year"], reason="  ", by=old_books["by"])
    assert e.value.code == "reason_required"
    with pytest.raises(ApplicationError) as e:
        shu_old_books_undo(year=old_books["year"], reason="salah", by=f.user("petugas"))
    assert e.value.status_code == 403
    assert _written() == before
    closed_year = old_books["year"] - 1
    YearEnd.objects.create(
        year=closed_year, status="closed", shu_before_tax=D("0"), shu_after_tax=D("0")
    )
    with pytest.raises(ApplicationError) as e:
        shu_old_books_undo(year=closed_year, reason="salah", by=old_books["by"])
    assert e.value.code == "shu_old_books_year" and e.value.status_code == 409


def test_the_api_undoes_and_answers_the_one_error_shape(old_books):
    _bring(old_books, [(0, "300.000", "0")])
    c = _client(old_books, old_books["by"])
    url = f"/api/v1/yearend/{old_books['year']}/old-books/undo/"
    bad = c.post(url, {"reason": ""}, "application/json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] in {
        "reason_required",
        "validation_error",
    }
    assert YearEnd.objects.filter(year=old_books["year"]).exists()
    ok = c.post(url, {"reason": "salah ketik"}, "application/json")
    assert ok.status_code == 200, ok.content
    body = ok.json()
    assert body["year"] == old_books["year"] and body["unassigned"] == "300000.00"
    assert body["reversal_entry"]
    again = c.post(url, {"reason": "salah ketik"}, "application/json")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "shu_old_books_not_brought_in"
    denied = _client(old_books, f.user("petugas")).post(url, {"reason": "x"}, "application/json")
    assert denied.status_code == 403


def test_the_year_page_offers_the_undo_with_a_confirmation_and_a_reason(old_books):
    ye = _bring(old_books, [(0, "300.000", "0")])
    c = _client(old_books, old_books["by"])
    page = c.get(f"/tutup-buku/{old_books['year']}/").content.decode()
    assert 'id="old-books-undo"' in page and 'name="reason"' in page
    assert 'value="old_books_undo"' in page and "data-confirm=" in page
    # without a reason: said, nothing written
    r = c.post(f"/tutup-buku/{old_books['year']}/", {"action": "old_books_undo"}, follow=True)
    assert "Alasan pembatalan wajib diisi." in r.content.decode()
    assert YearEnd.objects.filter(pk=ye.pk).exists()
    r = c.post(
        f"/tutup-buku/{old_books['year']}/",
        {"action": "old_books_undo", "reason": "salah ketik"},
        follow=True,
    )
    html = r.content.decode()
    assert f"SHU {old_books['year']} dari pembukuan lama dibatalkan" in html
    assert "Rp 300.000" in html and 'id="old-books-form"' in html  # can be brought in again
    assert not YearEnd.objects.filter(pk=ye.pk).exists()
    # a pengawas reads the page without the button
    _bring(old_books, [(0, "300.000", "0")])
    page = (
        _client(old_books, f.user("pengawas"))
        .get(f"/tutup-buku/{old_books['year']}/")
        .content.decode()
    )
    assert 'id="old-books"' in page and 'id="old-books-undo"' not in page


def test_the_year_page_says_why_it_cannot_be_undone_after_a_payout(old_books):
    _bring(old_books, [(0, "300.000", "0")])
    (payout,) = shu_payout(
        year=old_books["year"],
        items=[(old_books["m"][0].pk, None)],
        method="cash",
        by=old_books["by"],
    )
    c = _client(old_books, old_books["by"])
    page = c.get(f"/tutup-buku/{old_books['year']}/").content.decode()
    assert 'id="old-books-undo"' not in page
    assert 'id="old-books-undo-refusal"' in page and payout.receipt_number in page
    r = c.post(
        f"/tutup-buku/{old_books['year']}/",
        {"action": "old_books_undo", "reason": "salah"},
        follow=True,
    )
    assert r.status_code == 200 and payout.receipt_number in r.content.decode()
    assert YearEnd.objects.filter(year=old_books["year"]).exists()
