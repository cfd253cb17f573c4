"""The move-in wizard's go-live step (6) lists, before any click, everything that still
blocks going live — the opening trial balance not posted, a member import dated off the
cut-over, the sub-ledgers not equal to their control accounts, manual entry requests
waiting, and what the month close would refuse for a month the go-live closes (the
loans' year-end arrears run) — each with what to do and a link to where to do it, and
offers no go-live button while anything blocks. The list is the go-live's own
(``move_in_go_live_refusals``): the go-live refuses with its first, nothing changed."""

import html
import re
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.audit.models import AuditEvent
from core.common.dates import format_tanggal
from core.common.errors import ApplicationError
from core.ledger.models import ManualEntryRequest, Period
from core.ledger.services import (
    fiscal_year_ensure,
)
from core.onboarding.loans_import import loans_import
from core.onboarding.models import MoveIn
from core.onboarding.services import (
    move_in_go_live,
    move_in_go_live_refusals,
    move_in_start,
    trial_balance_post,
)

from .helpers import arrears_row, loan_row, members_import, request_waiting, tb_rows

GO_LIVE = 'name="action" value="go_live"'
WIZARD = "/pindah/"


def _page(by, lang: str = "id") -> str:
    c = Client(HTTP_HOST="alpha.localhost")
    c.force_login(by)
    c.cookies["django_language"] = lang
    r = c.get(WIZARD)
    assert r.status_code == 200
    return r.content.decode()


def _blocks(page: str) -> list[str]:
    """The go-live step's list of what blocks it: each item's text (links as
    ``[label](href)``), as the user reads it."""
    start = page.index('id="go-live-refusal"')
    box = page[start : page.index("</div>", start)]
    items = re.findall(r"<li\b[^>]*>(.*?)</li>", box, re.S)
    out = []
    for item in items:
        item = re.sub(r'<a href="([^"]*)"[^>]*>(.*?)</a>', r"[\2](\1)", item, flags=re.S)
        out.append(" ".join(html.unescape(re.sub(r"<[^>]+>", " ", item)).split()))
    return out


def _unchanged(audits: int) -> None:
    mi = MoveIn.objects.get()
    assert (mi.status, mi.went_live_at, mi.closed_periods) == ("draft", None, [])
    assert not Period.objects.filter(status="closed").exists()
    assert AuditEvent.objects.count() == audits


def _refused_with_the_first(mi, by):
    """The go-live refuses with the first of the step's list, nothing changed."""
    first = move_in_go_live_refusals(move_in=mi)[0].error
    audits = AuditEvent.objects.count()
    with pytest.raises(ApplicationError) as exc:
        move_in_go_live(move_in=mi, by=by)
    assert (exc.value.code, exc.value.message, exc.value.fields) == (
        first.code,
        first.message,
        first.fields,
    )
    _unchanged(audits)
    return exc.value


def test_trial_balance_not_posted_is_listed_with_a_link_to_step_2_and_no_button(move_in, by):
    page = _page(by)
    blocks = _blocks(page)
    assert len(blocks) == 1, blocks
    assert blocks[0].startswith("Neraca saldo awal belum diposting.")
    assert "langkah 2" in blocks[0]
    assert f"({WIZARD}#neraca-awal)" in blocks[0]
    assert GO_LIVE not in page
    err = _refused_with_the_first(move_in, by)
    assert (err.code, err.message) == (
        "onboarding_wrong_state",
        "Neraca saldo awal belum diposting.",
    )


def test_differences_are_listed_per_account_with_a_link_to_the_reconciliation(moved, by):
    """Members and savings not imported yet: the savings control accounts differ."""
    page = _page(by)
    blocks = _blocks(page)
    assert len(blocks) == 1, blocks
    said = blocks[0]
    assert said.startswith(
        "Buku pembantu belum sama dengan akun kontrolnya; lihat selisih per akun."
    )
    for line in ("3101 ", "3102 ", "2101 "):
        assert line in said, said
    assert "3102 Simpanan Wajib · Simpanan: Simpanan Wajib: selisih -Rp 2.500.000" in said, said
    assert f"({WIZARD}#rekonsiliasi)" in said
    assert GO_LIVE not in page
    err = _refused_with_the_first(moved, by)
    assert err.code == "onboarding_not_reconciled"


def test_a_member_import_off_the_cutover_is_named_with_the_way_out(moved, by, cutover):
    members_import(by, cutover - timedelta(days=1))
    page = _page(by)
    blocks = _blocks(page)
    said = next(b for b in blocks if "Impor anggota dengan tanggal saldo awal" in b)
    assert f"a.csv ({format_tanggal(cutover - timedelta(days=1))})" in said
    assert "batalkan pindah ke Lumbung" in said
    assert f"({WIZARD}#batal-pindah)" in said
    assert 'id="batal-pindah"' in page
    assert GO_LIVE not in page
    err = _refused_with_the_first(moved, by)
    assert err.code == "onboarding_not_reconciled"
    assert err.fields["member_imports"][0]["file_name"] == "a.csv"


@pytest.fixture
def waiting(moved, staff, cutover) -> ManualEntryRequest:
    return request_waiting(staff, cutover)


def test_every_block_is_listed_at_once_in_the_go_lives_order(moved, waiting, by):
    """Not reconciled and a request waiting: both before the click (the page used to
    say only the request, and then refuse the click for the reconciliation)."""
    page = _page(by)
    blocks = _blocks(page)
    assert len(blocks) == 2, blocks
    assert blocks[0].startswith("Buku pembantu belum sama")
    assert blocks[1].startswith("Pindah ke Lumbung belum dapat diselesaikan")
    assert f"#{waiting.pk} " in blocks[1]
    assert f"({reverse('ledger:journal')})" in blocks[1]
    assert GO_LIVE not in page
    assert [r.error.code for r in move_in_go_live_refusals(move_in=moved)] == [
        "onboarding_not_reconciled",
        "onboarding_manual_entry_pending",
    ]
    _refused_with_the_first(moved, by)


def test_the_list_reads_in_english(moved, waiting, by):
    blocks = _blocks(_page(by, "en"))
    assert blocks[0].startswith("The sub-ledgers do not yet equal their control accounts")
    assert "step 5" in blocks[0]
    assert blocks[1].startswith("The move to Lumbung cannot be finished yet")


@pytest.fixture
def january_cutover(in_tenant_a):
    """31 January of a year whose previous December is open in Lumbung: the go-live
    closes that December too (at least a month back, whatever today is)."""
    ref = timezone.localdate() - timedelta(days=62)
    return date(ref.year, 1, 31)


def _january_move_in(cutover, by, members):
    """A move-in at a January cut-over whose previous December is open in Lumbung, with
    two loans brought in (one in arrears), reconciled."""
    fiscal_year_ensure(year=cutover.year - 1)
    mi = move_in_start(cutover_date=cutover, by=by)
    trial_balance_post(move_in=mi, rows=tb_rows(), by=by)
    loans_import(
        move_in=mi,
        rows=[loan_row(members[0], cutover), arrears_row(members[1], cutover)],
        by=by,
    )
    members_import(by, cutover)
    mi.refresh_from_db()
    return mi


def test_loans_brought_in_after_the_year_end_need_no_arrears_run_dated_it(
    january_cutover, staff, by, members, product, agencies
):
    """The loans brought in at a January cut-over ran on the previous 31 December in the
    old books, not in these: their grades and PPAP came with the opening. The December
    the go-live closes asks no arrears run dated that day (one would post a PPAP entry
    before the opening, counting the allowance twice): nothing blocks, the go-live closes
    it, and no entry is dated before the cut-over but the opening."""
    from core.ledger.models import JournalEntry
    from core.loans.models import ArrearsRun

    cutover = january_cutover
    mi = _january_move_in(cutover, by, members)
    assert move_in_go_live_refusals(move_in=mi) == []
    page = _page(by)
    assert 'id="go-live-refusal"' not in page
    assert GO_LIVE in page
    move_in_go_live(move_in=mi, by=by)
    december = Period.objects.get(end_date=date(cutover.year - 1, 12, 31))
    assert december.status == "closed"
    assert not ArrearsRun.objects.exists()
    assert set(JournalEntry.objects.filter(date__lt=cutover).values_list("source", flat=True)) <= {
        "opening"
    }


def test_a_month_close_refusal_is_listed_with_the_guards_page(
    january_cutover, staff, by, members, product, agencies, monkeypatch
):
    """What a registered close guard refuses for a month the go-live closes (here one
    refusing 31 December, as the loans' year-end arrears guard does while loans ran on
    it without a run) is listed before the click with the guard's page, no button; the
    go-live refuses with it before anything is closed."""
    from core.ledger import close_guards
    from core.loans.services.common import LoanErrors

    cutover = january_cutover
    december = date(cutover.year - 1, 12, 31)

    def december_refused(up_to):
        if up_to != december:
            return None
        return ApplicationError(
            LoanErrors.ARREARS_RUN_MISSING,
            f"Buku tidak dapat ditutup sampai {format_tanggal(december)}: perhitungan "
            "tunggakan dan PPAP belum dibuat.",
            status=409,
        )

    monkeypatch.setattr(
        close_guards,
        "_guards",
        [
            *close_guards._guards,
            close_guards.Guard(
                december_refused, "loans:arrears_run", "Buka Proses tunggakan dan PPAP"
            ),
        ],
    )
    mi = _january_move_in(cutover, by, members)
    page = _page(by)
    blocks = _blocks(page)
    assert len(blocks) == 1, blocks
    said = blocks[0]
    assert said.startswith(f"Buku tidak dapat ditutup sampai {format_tanggal(december)}")
    assert "perhitungan tunggakan dan PPAP" in said
    assert f"[Buka Proses tunggakan dan PPAP]({reverse('loans:arrears_run')})" in said
    assert GO_LIVE not in page
    err = _refused_with_the_first(mi, by)
    assert err.code == "loan_arrears_run_missing"


def test_nothing_blocking_offers_the_button_and_no_list(moved, by, cutover):
    members_import(by, cutover)
    assert move_in_go_live_refusals(move_in=moved) == []
    page = _page(by)
    assert 'id="go-live-refusal"' not in page
    assert GO_LIVE in page
    assert move_in_go_live(move_in=moved, by=by).status == "live"
    page = _page(by)
    assert 'id="go-live-refusal"' not in page and GO_LIVE not in page
