"""A year the year end closed whose ledger year was reopened on the ledger's periods page
before that reopen was refused (existing data: a year closed with an SHU after tax of
exactly zero had no move to SHU belum dibagi, which was all the old guard looked for).
The ledger's reopen reversed its closing entry and opened the year; the ``YearEnd`` stayed
*closed*, its income tax entry still posted. A new close would post the tax a second time.

The year-end page, its API and its checklist say so (``reopened_in_ledger``), and the
way out is one button: the year is closed again in the ledger as the year end closed it
(``yearend_reclose``), the year end's tax and SHU entries left as they are, nothing of
them posted again — refused, naming the entries, when something was posted into the year
since the close (then the year end is reopened properly and closed again)."""

from datetime import date
from decimal import Decimal
from html import escape

import pytest

from core.audit.models import AuditEvent
from core.common.dates import format_tanggal
from core.common.errors import ApplicationError
from core.ledger.models import FiscalYear, JournalEntry, Period
from core.ledger.reports import balance_sheet, trial_balance
from core.ledger.selectors import account_for_role
from core.ledger.services import (
    LineSpec,
    books_closed_until,
    fiscal_year_ensure,
    journal_post,
    journal_reverse,
    ledger_settings_update,
    manual_entry_reject,
    manual_entry_submit,
    period_close,
    period_reopen,
)
from core.yearend.models import YearEnd
from core.yearend.selectors import close_checklist
from core.yearend.services import (
    shu_settings_set,
    yearend_close,
    yearend_reclose,
    yearend_reopen,
)
from tests.ledger.helpers import stuck_request
from tests.members import factories as f

from .conftest import YEAR, _deposit, close_preliminaries, year_result_post

D = Decimal
WHAT = f"Tahun buku {YEAR} sudah ditutup di sini, tetapi dibuka kembali di buku besar"
POSTED_SINCE = "sesudah tutup buku ada jurnal baru bertanggal tahun"


def _zero_shu_year_with_tax(by) -> YearEnd:
    """Rp 1,000,000 of other income and Rp 995,000 of expense in June, a final 0.5% tax
    on turnover (Rp 5,000): closed through the year end with an SHU after tax of exactly
    zero — an income tax entry, no move to SHU belum dibagi."""
    fiscal_year_ensure(year=YEAR)
    _deposit(f.member(full_name="Satu"), "pokok", "100000", date(YEAR, 1, 10), by)
    journal_post(
        on=date(YEAR, 6, 30),
        description="Usaha",
        source="manual",
        by=by,
        lines=[
            LineSpec(account_for_role("cash"), debit=D("1000000")),
            LineSpec(account_for_role("other_income"), credit=D("1000000")),
            LineSpec(account_for_role("savings_interest_expense"), debit=D("995000")),
            LineSpec(account_for_role("cash"), credit=D("995000")),
        ],
    )
    shu_settings_set(year=YEAR, by=by, tax_rule="turnover_final", tax_rate="0.5")
    close_preliminaries(by)
    ye = yearend_close(year=YEAR, by=by)
    assert ye.income_tax == D("5000") and ye.shu_after_tax == 0
    assert ye.tax_entry_id is not None and ye.transfer_entry_id is None
    return ye


def _figures() -> tuple:
    """The year's trial balance and balance sheet at 31 December (what the RAT shows)."""
    end = date(YEAR, 12, 31)
    return trial_balance(as_of=end), balance_sheet(as_of=end)


def _break(*, month: int, admin) -> None:
    """The ledger's reopen as it ran before the year end's mark existed (no
    ``closed_by_year_end``: ledger 0026; a zero SHU had no move the old guard saw): the
    mark cleared in the database, then the ledger's own reopen of ``month``."""
    FiscalYear.objects.filter(year=YEAR).update(closed_by_year_end=False)
    period_reopen(
        period=Period.objects.get(fiscal_year__year=YEAR, month=month),
        reason="koreksi di buku besar",
        by=admin,
    )


@pytest.fixture
def broken(staff):
    """The zero-SHU year with its tax, closed here, then reopened in the ledger (December).
    Returns the figures from before the break."""
    _zero_shu_year_with_tax(staff["bendahara"])
    before = _figures()
    _break(month=12, admin=staff["admin"])
    fy = FiscalYear.objects.get(year=YEAR)
    assert fy.status == "open" and YearEnd.objects.get(year=YEAR).status == "closed"
    assert _figures() != before  # the closing entry reversed: income and expense are back
    return before


def _counts() -> tuple:
    """The year end's entries (tax, SHU moves) and the ledger's closing entries."""
    return (
        JournalEntry.objects.filter(source="shu", fiscal_year=YEAR).count(),
        JournalEntry.objects.filter(source="closing", fiscal_year=YEAR).count(),
        FiscalYear.objects.get(year=YEAR).status,
        YearEnd.objects.get(year=YEAR).status,
    )


BROKEN = (1, 2, "open", "closed")  # the tax; the closing entry and its reversal


def test_year_end_page_says_the_year_was_reopened_in_the_ledger(broken, client_as):
    page = client_as("bendahara").get(f"/tutup-buku/{YEAR}/").content.decode()
    assert 'id="reopened-in-ledger"' in page, page
    box = page.split('id="reopened-in-ledger"')[1].split("</div>")[0]
    assert escape(WHAT) in box, box
    assert "pajak penghasilan akan terposting dua kali" in box, box
    assert "Tutup ulang" in box, box
    # the button, with its confirmation, posting to the re-close
    assert f'action="/tutup-buku/{YEAR}/tutup-ulang/"' in box, box
    assert "data-confirm=" in box, box
    assert 'name="action" value="close"' not in page  # no close that would post tax twice
    assert _counts() == BROKEN


def test_year_end_api_and_checklist_say_reopened_in_ledger(broken, client_as):
    c = client_as("bendahara")
    r = c.get(f"/api/v1/yearend/{YEAR}/checklist/")
    assert r.status_code == 200
    body = r.json()
    assert body["ready"] is False and body["reopened_in_ledger"] is True, body
    assert body["closed_in_ledger"] is False
    for method, url in (
        (c.post, f"/api/v1/yearend/{YEAR}/close/"),
        (c.get, f"/api/v1/yearend/{YEAR}/"),
        (c.get, f"/api/v1/yearend/{YEAR}/preview/"),
        (c.get, f"/api/v1/yearend/{YEAR}/rat-pack/?file=xlsx"),
    ):
        r = method(url)
        assert r.status_code == 409, (url, r.status_code, r.content)
        err = r.json()["error"]
        assert err["code"] == "year_reopened_in_ledger", (url, err)
        assert WHAT in err["message"], err
        assert err["fields"]["reclose"] == f"/api/v1/yearend/{YEAR}/reclose/", err
    assert _counts() == BROKEN


def test_close_refused_does_not_post_the_tax_twice(broken, staff):
    # December closed again: the checklist passes, a close would post the tax once more
    by = staff["bendahara"]
    period_close(period=Period.objects.get(fiscal_year__year=YEAR, month=12), by=by)
    with pytest.raises(ApplicationError) as e:
        yearend_close(year=YEAR, by=by)
    assert e.value.code == "year_reopened_in_ledger"
    assert _counts() == BROKEN


def test_reclose_closes_the_ledger_year_without_posting_the_tax_again(broken, staff, client_as):
    tax = YearEnd.objects.get(year=YEAR).tax_entry_id
    ye = yearend_reclose(year=YEAR, by=staff["bendahara"])
    assert ye.status == "closed" and ye.tax_entry_id == tax
    fy = FiscalYear.objects.get(year=YEAR)
    assert fy.status == "closed" and fy.closed_by_year_end is True
    assert not Period.objects.filter(fiscal_year=fy, status="open").exists()
    # one tax entry still (not reversed), the closing entry posted again, nothing else
    assert _counts() == (1, 3, "closed", "closed")
    assert not JournalEntry.objects.filter(pk=tax, reversals__isnull=False).exists()
    assert _figures() == broken  # the trial balance and balance sheet as closed
    event = AuditEvent.objects.get(action="yearend.reclose")
    assert event.actor == staff["bendahara"] and event.data["year"] == YEAR
    assert event.data["tax_entry"] == str(JournalEntry.objects.get(pk=tax))
    # said no more; the ledger refuses its reopen again (the year end's reopen only)
    page = client_as("bendahara").get(f"/tutup-buku/{YEAR}/").content.decode()
    assert 'id="reopened-in-ledger"' not in page
    with pytest.raises(ApplicationError) as e:
        period_reopen(
            period=Period.objects.get(fiscal_year=fy, month=12), reason="x", by=staff["admin"]
        )
    assert e.value.code == "year_closed_by_year_end"


def test_reclose_after_a_month_other_than_december_was_reopened(staff):
    _zero_shu_year_with_tax(staff["bendahara"])
    before = _figures()
    _break(month=3, admin=staff["admin"])
    assert Period.objects.get(fiscal_year__year=YEAR, month=12).status == "closed"
    yearend_reclose(year=YEAR, by=staff["bendahara"])
    assert _counts() == (1, 3, "closed", "closed")
    assert _figures() == before


def test_reclose_refused_when_an_entry_was_posted_into_the_year_since(broken, staff):
    by = staff["bendahara"]
    late = journal_post(
        on=date(YEAR, 12, 20),
        description="Beban terlambat",
        source="manual",
        by=by,
        lines=[
            LineSpec(account_for_role("savings_interest_expense"), debit=D("1000")),
            LineSpec(account_for_role("cash"), credit=D("1000")),
        ],
    )
    during = _figures()
    with pytest.raises(ApplicationError) as e:
        yearend_reclose(year=YEAR, by=by)
    assert e.value.code == "year_end_posted_since_close"
    assert e.value.status_code == 409
    assert POSTED_SINCE in e.value.message and str(late) in e.value.message, e.value.message
    assert "buka kembali tutup buku" in e.value.message, e.value.message
    assert e.value.fields["entries"] == [str(late)]
    assert _counts() == BROKEN and _figures() == during
    assert not AuditEvent.objects.filter(action="yearend.reclose").exists()
    # the way it names: the year end reopened properly (its tax reversed), closed again
    tax = YearEnd.objects.get(year=YEAR).tax_entry
    yearend_reopen(year=YEAR, reason="jurnal terlambat", by=staff["admin"])
    assert YearEnd.objects.get(year=YEAR).status == "reopened"
    assert JournalEntry.objects.filter(reverses=tax).count() == 1  # the tax reversed
    period_close(period=Period.objects.get(fiscal_year__year=YEAR, month=12), by=by)
    ye = yearend_close(year=YEAR, by=by)
    assert ye.status == "closed" and ye.income_tax == D("5000")
    assert FiscalYear.objects.get(year=YEAR).closed_by_year_end is True


def test_reclose_refused_when_the_tax_entry_was_reversed(broken, staff):
    ye = YearEnd.objects.get(year=YEAR)
    journal_reverse(
        entry=ye.tax_entry,
        on=date(YEAR, 12, 31),
        reason="dibalik",
        by=staff["admin"],
        module="shu",
        year_close=True,
    )
    with pytest.raises(ApplicationError) as e:
        yearend_reclose(year=YEAR, by=staff["bendahara"])
    assert e.value.code == "year_end_entries_reversed"
    assert str(ye.tax_entry) in e.value.message
    assert FiscalYear.objects.get(year=YEAR).status == "open"


def test_reclose_refused_for_a_year_not_in_that_state(staff):
    _zero_shu_year_with_tax(staff["bendahara"])
    with pytest.raises(ApplicationError) as e:
        yearend_reclose(year=YEAR, by=staff["bendahara"])
    assert e.value.code == "year_not_reopened_in_ledger"
    assert e.value.status_code == 409


def test_reclose_refused_to_roles_that_do_not_close_the_year(broken, staff):
    for role in ("petugas", "ketua", "pengawas"):
        with pytest.raises(ApplicationError) as e:
            yearend_reclose(year=YEAR, by=staff[role])
        assert e.value.status_code == 403
    assert _counts() == BROKEN


def test_reclose_button_on_the_page(broken, client_as):
    r = client_as("bendahara").post(f"/tutup-buku/{YEAR}/tutup-ulang/", follow=True)
    page = r.content.decode()
    assert r.status_code == 200
    assert f"Tahun buku {YEAR} ditutup kembali di buku besar" in page, page
    assert _counts() == (1, 3, "closed", "closed")
    # again: refused with its reason, nothing changed
    r = client_as("bendahara").post(f"/tutup-buku/{YEAR}/tutup-ulang/", follow=True)
    assert "tidak sedang dibuka kembali di buku besar" in r.content.decode()
    assert _counts() == (1, 3, "closed", "closed")


def test_reclose_api(broken, client_as):
    c = client_as("bendahara")
    r = c.post(f"/api/v1/yearend/{YEAR}/reclose/")
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "closed" and r.json()["income_tax"] == "5000.00"
    assert _counts() == (1, 3, "closed", "closed")
    r = c.post(f"/api/v1/yearend/{YEAR}/reclose/")
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "year_not_reopened_in_ledger"
    assert client_as("petugas").post(f"/api/v1/yearend/{YEAR}/reclose/").status_code == 403


def _pending_request(staff, on: date):
    """A manual entry waiting for approval (the cooperative's maker-checker turned on),
    dated ``on``: Rp 1,000 of expense paid in cash."""
    ledger_settings_update(by=staff["admin"], manual_entry_approval=True)
    return manual_entry_submit(
        on=on,
        description="Beban menunggu persetujuan",
        lines=[
            LineSpec(account_for_role("savings_interest_expense"), debit=D("1000")),
            LineSpec(account_for_role("cash"), credit=D("1000")),
        ],
        by=staff["bendahara"],
    )


def test_reclose_refused_while_a_manual_entry_request_dated_in_the_year_is_pending(broken, staff):
    # the close's checklist refuses the same (a closed year would leave the request
    # unpostable: its month closed)
    req = _pending_request(staff, date(YEAR, 12, 20))
    assert req.status == "pending"
    assert not {i.key: i.ok for i in close_checklist(year=YEAR)}["manual_pending"]
    during = _figures()
    with pytest.raises(ApplicationError) as e:
        yearend_reclose(year=YEAR, by=staff["bendahara"])
    assert e.value.code == "year_end_manual_entry_pending"
    assert e.value.status_code == 409
    named = f"#{req.pk} tanggal 20 Desember {YEAR}"
    assert named in e.value.message, e.value.message
    assert "menunggu persetujuan" in e.value.message, e.value.message
    assert "Setujui atau tolak" in e.value.message, e.value.message
    assert e.value.fields["requests"] == [named]
    assert _counts() == BROKEN and _figures() == during
    assert not AuditEvent.objects.filter(action="yearend.reclose").exists()
    # decided (rejected here), the re-close goes ahead as before
    manual_entry_reject(request=req, reason="salah akun", by=staff["ketua"])
    yearend_reclose(year=YEAR, by=staff["bendahara"])
    assert _counts() == (1, 3, "closed", "closed")
    assert _figures() == broken


def test_reclose_not_held_up_by_a_request_dated_in_the_next_year(broken, staff):
    _pending_request(staff, date(YEAR + 1, 1, 5))
    yearend_reclose(year=YEAR, by=staff["bendahara"])
    assert _counts() == (1, 3, "closed", "closed")


def test_reclose_refusal_for_a_pending_request_on_the_page_and_in_the_api(broken, staff, client_as):
    req = _pending_request(staff, date(YEAR, 12, 20))
    c = client_as("bendahara")
    page = c.post(f"/tutup-buku/{YEAR}/tutup-ulang/", follow=True).content.decode()
    assert escape(f"permintaan jurnal manual bertanggal sampai 31 Desember {YEAR}") in page
    assert f"#{req.pk} tanggal 20 Desember {YEAR}" in page, page
    c.cookies["django_language"] = "en"
    page = c.post(f"/tutup-buku/{YEAR}/tutup-ulang/", follow=True).content.decode()
    assert "cannot be closed again: manual journal entry requests dated" in page, page
    assert f"#{req.pk} dated" in page, page
    assert "menunggu persetujuan (" not in page
    r = client_as("bendahara").post(f"/api/v1/yearend/{YEAR}/reclose/")
    assert r.status_code == 409
    err = r.json()["error"]
    assert set(err) == {"code", "message", "fields"}
    assert err["code"] == "year_end_manual_entry_pending"
    assert f"#{req.pk} tanggal 20 Desember {YEAR}" in err["message"], err
    assert err["fields"]["requests"] == [f"#{req.pk} tanggal 20 Desember {YEAR}"]
    assert _counts() == BROKEN


def test_reclose_names_a_request_stuck_in_a_closed_month_as_only_to_be_rejected(broken, staff):
    stuck = stuck_request(on=date(YEAR, 6, 15), by=staff["bendahara"])
    closed_until = books_closed_until()
    assert closed_until is not None and closed_until >= stuck.date
    with pytest.raises(ApplicationError) as e:
        yearend_reclose(year=YEAR, by=staff["bendahara"])
    named = f"#{stuck.pk} tanggal 15 Juni {YEAR}"
    assert (e.value.code, e.value.status_code) == ("year_end_manual_entry_pending", 409)
    assert e.value.message == (
        f"Tahun buku {YEAR} tidak dapat ditutup ulang: permintaan jurnal manual {named} "
        "masih menunggu persetujuan, tetapi bertanggal dalam buku yang sudah ditutup (sampai "
        f"{format_tanggal(closed_until)}), jadi tidak dapat disetujui lagi. Tolak dulu di "
        "Jurnal umum, lalu tutup ulang."
    )
    assert e.value.fields == {"requests": [named], "reject_only": [named]}
    assert _counts() == BROKEN
    manual_entry_reject(request=stuck, reason="bulannya sudah ditutup", by=staff["ketua"])
    yearend_reclose(year=YEAR, by=staff["bendahara"])
    assert _counts() == (1, 3, "closed", "closed")


RECLOSE_FORM = f'action="/tutup-buku/{YEAR}/tutup-ulang/"'


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("id", "tidak dapat ditutup ulang: permintaan jurnal manual bertanggal sampai"),
        ("en", "cannot be closed again: manual journal entry requests dated"),
    ],
)
def test_year_page_shows_the_reclose_refusal_for_a_pending_request_before_the_click(
    broken, staff, client_as, lang, said
):
    req = _pending_request(staff, date(YEAR, 12, 20))
    c = client_as("bendahara")
    c.cookies["django_language"] = lang
    page = c.get(f"/tutup-buku/{YEAR}/").content.decode()
    refusal = page[page.index('id="reclose-refusal"') :]
    refusal = refusal[: refusal.index("</div>")]
    assert escape(said) in refusal, page
    assert f"#{req.pk} " in refusal
    assert 'href="/buku-besar/jurnal/"' in refusal
    assert RECLOSE_FORM not in page  # no button to confirm: it would only be refused
    assert _counts() == BROKEN


def test_year_page_says_a_stuck_request_is_only_to_be_rejected(broken, staff, client_as):
    stuck = stuck_request(on=date(YEAR, 6, 15), by=staff["bendahara"])
    page = client_as("bendahara").get(f"/tutup-buku/{YEAR}/").content.decode()
    assert f"#{stuck.pk} tanggal 15 Juni {YEAR}" in page
    assert "jadi tidak dapat disetujui lagi. Tolak dulu di Jurnal umum" in page, page
    assert RECLOSE_FORM not in page


def test_year_page_offers_the_reclose_once_the_request_is_decided(broken, staff, client_as):
    req = _pending_request(staff, date(YEAR, 12, 20))
    manual_entry_reject(request=req, reason="salah akun", by=staff["ketua"])
    page = client_as("bendahara").get(f"/tutup-buku/{YEAR}/").content.decode()
    assert RECLOSE_FORM in page and 'id="reclose-refusal"' not in page


def _open_in_database_alone() -> None:
    """The ledger's year set open by a change in the database alone (no reopen through
    the ledger): its closing entry stays posted, never reversed; the YearEnd says closed."""
    FiscalYear.objects.filter(year=YEAR).update(status="open", closed_by_year_end=False)
    Period.objects.filter(fiscal_year__year=YEAR, month=12).update(status="open")


def test_reclose_of_a_year_opened_in_the_database_keeps_its_closing_entry(staff):
    ye = _zero_shu_year_with_tax(staff["bendahara"])
    closing = FiscalYear.objects.get(year=YEAR).closing_entry
    assert closing is not None
    before = _figures()
    _open_in_database_alone()
    assert _counts() == (1, 1, "open", "closed")  # no reversed closing entry
    assert _figures() == before  # the books themselves were not touched
    yearend_reclose(year=YEAR, by=staff["bendahara"])
    fy = FiscalYear.objects.get(year=YEAR)
    assert fy.status == "closed" and fy.closed_by_year_end is True
    # the close's closing entry is the year's again: no second one, none missing
    assert fy.closing_entry == closing
    assert _counts() == (1, 1, "closed", "closed")
    assert _figures() == before
    event = AuditEvent.objects.get(action="yearend.reclose")
    assert event.data["closing_entry"] == str(closing)
    assert event.data["closing_entry_kept"] is True
    # so the year end's reopen reverses it with the tax: income and expense come back
    yearend_reopen(year=YEAR, reason="koreksi", by=staff["admin"])
    assert JournalEntry.objects.filter(reverses=closing).count() == 1
    assert JournalEntry.objects.filter(reverses=ye.tax_entry).count() == 1
    assert FiscalYear.objects.get(year=YEAR).status == "open"


def test_reclose_refused_when_the_ledger_never_had_the_years_closing_entry(staff):
    # the YearEnd set closed in the database alone: no tax, no closing entry, the year's
    # income and expense still in their accounts
    by = staff["bendahara"]
    fiscal_year_ensure(year=YEAR)
    year_result_post(by, "1000000", description="Usaha")
    YearEnd.objects.create(
        year=YEAR, status="closed", shu_before_tax=D("1000000"), shu_after_tax=D("1000000")
    )
    before = _figures()
    with pytest.raises(ApplicationError) as e:
        yearend_reclose(year=YEAR, by=by)
    assert e.value.code == "year_end_close_missing_in_ledger"
    assert e.value.status_code == 409
    assert "tidak pernah punya jurnal penutup" in e.value.message, e.value.message
    assert "admin membuka kembali tutup buku di sini" in e.value.message, e.value.message
    assert FiscalYear.objects.get(year=YEAR).status == "open"
    assert not JournalEntry.objects.filter(source="closing", fiscal_year=YEAR).exists()
    assert _figures() == before
    # the way it names: the year end reopened (nothing to reverse), then closed
    yearend_reopen(year=YEAR, reason="status diubah di basis data", by=staff["admin"])
    assert YearEnd.objects.get(year=YEAR).status == "reopened"
