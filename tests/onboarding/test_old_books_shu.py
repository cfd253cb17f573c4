"""Unpaid SHU of the old books at a move-in: the opening trial balance brings it in as one
figure on *SHU Bagian Anggota Belum Dibayar* (2105, a control account: ledger 0028); the
year end's *SHU belum dibayar dari pembukuan lama* assigns it to the members of that
year's SHU list; the move-in's reconciliation shows what still names no member, and go-live
waits for it; each share is then paid out as any year's (receipt, journal, portal), and
the account always equals what the members are owed."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.test import Client
from django.utils import timezone

from core.common.errors import ApplicationError
from core.ledger.models import JournalEntry
from core.ledger.reconciliation import subledgers_reconcile
from core.ledger.selectors import account_balance, account_for_role
from core.ledger.services import LineSpec, fiscal_year_ensure, journal_post
from core.onboarding.loans_import import loans_import
from core.onboarding.selectors import move_in_reconciliation
from core.onboarding.services import move_in_go_live, trial_balance_post
from core.yearend.models import MemberShare, YearEnd
from core.yearend.old_books import shu_old_books_bring_in
from core.yearend.selectors import shu_subledger_check
from core.yearend.services import shu_payout
from tenants.services import tenant_host
from tests.members import factories as f
from tests.pdfs import pdf_text

from .helpers import TB, arrears_row, loan_row, members_import

OLD_SHU = "300000"


def _tb_with_old_shu() -> list[dict]:
    """``helpers.TB`` with Rp 300.000 of the old books' unpaid SHU on 2105, taken from
    the equity line so it still balances."""
    tb = dict(TB)
    tb["3103"] = ("", str(int(TB["3103"][1]) - int(OLD_SHU)))
    tb["2105"] = ("", OLD_SHU)
    return [
        {"row": i, "account": c, "debit": d, "credit": k}
        for i, (c, (d, k)) in enumerate(tb.items(), start=2)
    ]


@pytest.fixture
def moved_with_old_shu(move_in, by, members, product, cutover, agencies):
    trial_balance_post(move_in=move_in, rows=_tb_with_old_shu(), by=by)
    loans_import(
        move_in=move_in,
        rows=[loan_row(members[0], cutover), arrears_row(members[1], cutover)],
        by=by,
    )
    members_import(by, cutover)
    move_in.refresh_from_db()
    return move_in


def _old_year(cutover: date) -> tuple[int, date]:
    """A fiscal year of the old books before the cut-over's, and its RAT (held in the old
    books, by the cut-over)."""
    year = cutover.year - 1
    return year, min(date(year + 1, 3, 15), cutover)


def _shu_row(rec: dict) -> dict:
    return next(r for r in rec["rows"] if r["account"] == "2105")


def _payable(member_id: int | None = None) -> D:
    return account_balance(account=account_for_role("shu_members_payable"), member_id=member_id)


def _client(by, tenant) -> Client:
    c = Client(HTTP_HOST=tenant_host(tenant.slug))
    c.force_login(by)
    return c


def _bring_in(cutover, by, rows: list[dict]):
    """``rows`` of the old year's unpaid SHU brought in (RAT 05/RAT); its YearEnd."""
    year, rat = _old_year(cutover)
    return shu_old_books_bring_in(year=year, rat_date=rat, rat_decision="05/RAT", rows=rows, by=by)


def _first_member_brought_in(cutover, members, by) -> int:
    """The old year's whole Rp 300.000 brought in for the first member (JMA); its year."""
    _bring_in(cutover, by, [{"member_number": members[0].number, "jma": "300.000", "jua": "0"}])
    return _old_year(cutover)[0]


def test_old_books_shu_brought_in_per_member_goes_live_and_is_paid_as_any_years(
    moved_with_old_shu, by, members, cutover, tenant_a
):
    m1, m2 = members[0], members[1]
    year, rat = _old_year(cutover)
    # before: one figure naming no member — the reconciliation says so, go-live waits
    rec = move_in_reconciliation(move_in=moved_with_old_shu)
    row = _shu_row(rec)
    assert (row["trial_balance"], row["subledger"], row["difference"]) == ("300000", "0", "-300000")
    assert not rec["agrees"]
    with pytest.raises(ApplicationError) as e:
        move_in_go_live(move_in=moved_with_old_shu, by=by)
    assert e.value.code == "onboarding_not_reconciled"
    assert [d["account"] for d in e.value.fields["differences"]] == ["2105"]
    # the daily check shows it too: Rp 300.000 that no member is owed
    rows = {r.item: r for r in shu_subledger_check()}
    assert rows["saldo tanpa nama anggota"].difference == D("-300000")

    ye = shu_old_books_bring_in(
        year=year,
        rat_date=rat,
        rat_decision="05/RAT/LAMA",
        rows=[
            {"member_number": m1.number, "jma": "120.000", "jua": "30.000"},
            {"member_number": m2.number, "jma": "100.000", "jua": "50.000"},
        ],
        by=by,
    )
    assert (ye.status, ye.old_books, ye.rat_decision) == ("posted", True, "05/RAT/LAMA")
    shares = {s.member_id: s for s in MemberShare.objects.filter(year_end=ye)}
    assert {k: (s.jma, s.jua, s.total) for k, s in shares.items()} == {
        m1.pk: (D("120000"), D("30000"), D("150000")),
        m2.pk: (D("100000"), D("50000"), D("150000")),
    }
    assert _payable(m1.pk) == _payable(m2.pk) == D("150000")
    assert _payable() == D("300000")  # the account itself unchanged: every rupiah named
    entry = ye.posting_entry
    assert entry.source == JournalEntry.Source.SHU

    rec = move_in_reconciliation(move_in=moved_with_old_shu)
    row = _shu_row(rec)
    assert (row["subledger"], row["difference"], row["items"]) == ("300000", "0", 2)
    assert rec["agrees"], rec
    assert move_in_go_live(move_in=moved_with_old_shu, by=by).status == "live"

    (payout,) = shu_payout(year=year, items=[(m1.pk, None)], method="cash", by=by)
    assert payout.amount == D("150000") and payout.receipt_number.startswith("SHU-")
    # SHU payable equals what is still owed: m2's share, every rupiah named
    assert _payable() == D("150000") and _payable(m1.pk) == 0
    assert all(r.difference == 0 for r in shu_subledger_check())
    run = subledgers_reconcile()
    assert all(r["ok"] for r in run.results if r["subledger"] == "shu"), run.results

    staff = _client(by, tenant_a)
    text = pdf_text(staff.get(f"/tutup-buku/kuitansi/{payout.pk}.pdf"))
    assert payout.receipt_number in text and "150.000" in text and str(year) in text
    page = staff.get(f"/tutup-buku/{year}/").content.decode()
    assert 'id="old-books"' in page and "05/RAT/LAMA" in page
    assert payout.receipt_number in page and f'name="member" value="{m2.pk}"' in page

    user = f.user("anggota")
    m1.user = user
    m1.save(update_fields=["user"])
    portal = _client(user, tenant_a)
    html = portal.get("/portal/shu/").content.decode()
    assert f'id="portal-shu-old-books-{year}"' in html
    assert payout.receipt_number in html and "150.000" in html and "05/RAT/LAMA" in html


def test_bringing_in_more_than_the_unnamed_balance_is_refused(
    moved_with_old_shu, by, members, cutover
):
    before = JournalEntry.objects.count()
    with pytest.raises(ApplicationError) as e:
        _bring_in(
            cutover,
            by,
            [
                {"member_number": members[0].number, "jma": "200.000", "jua": "0"},
                {"member_number": members[1].number, "jma": "100.001", "jua": ""},
            ],
        )
    assert e.value.code == "shu_old_books_exceeds_unassigned" and e.value.status_code == 409
    assert "Rp 300.001" in str(e.value.message) and "Rp 300.000" in str(e.value.message)
    assert JournalEntry.objects.count() == before and not YearEnd.objects.exists()


def test_row_errors_are_named_by_row_and_nothing_is_written(
    moved_with_old_shu, by, members, cutover
):
    with pytest.raises(ApplicationError) as e:
        _bring_in(
            cutover,
            by,
            [
                {"member_number": members[0].number, "jma": "10.000", "jua": "0"},
                {"member_number": "TIDAK-ADA", "jma": "1", "jua": "0"},
                {"member_number": members[0].number, "jma": "1", "jua": "0"},
                {"member_number": members[1].number, "jma": "-5", "jua": "0"},
                {"member_number": members[2].number, "jma": "0", "jua": "-"},
            ],
        )
    assert e.value.code == "shu_old_books_invalid"
    errors = e.value.fields["rows"]
    assert [x.split(":")[0] for x in errors] == ["Baris 2", "Baris 3", "Baris 4", "Baris 5"]
    assert "TIDAK-ADA" in errors[0] and "baris 1" in errors[1]
    assert "Rp 0" in errors[3]
    assert not YearEnd.objects.exists() and _payable(members[0].pk) == 0


def test_a_year_not_ended_or_booked_in_lumbung_is_refused(by, members, in_tenant_a):
    """A year with entries of its own in Lumbung shares its SHU through its year end; a
    year not ended yet has no SHU."""
    today = timezone.localdate()
    row = [{"member_number": members[0].number, "jma": "1", "jua": "0"}]
    with pytest.raises(ApplicationError) as e:
        shu_old_books_bring_in(
            year=today.year, rat_date=today, rat_decision="05/RAT", rows=row, by=by
        )
    assert e.value.code == "shu_old_books_year"
    last = today.year - 1
    fiscal_year_ensure(year=last)
    journal_post(
        on=date(last, 6, 1),
        description="Biaya kantor",
        by=by,
        lines=[LineSpec("5101", debit=D("10")), LineSpec("1101", credit=D("10"))],
    )
    with pytest.raises(ApplicationError) as e:
        shu_old_books_bring_in(
            year=last, rat_date=date(today.year, 1, 1), rat_decision="05/RAT", rows=row, by=by
        )
    assert e.value.code == "shu_old_books_year" and e.value.status_code == 409
    assert "Biaya kantor" not in str(e.value.message) and str(last) in str(e.value.message)
    assert not YearEnd.objects.exists()


def test_no_balance_naming_no_member_leaves_nothing_to_bring_in(by, members, in_tenant_a):
    year = members[0].join_date.year - 2
    with pytest.raises(ApplicationError) as e:
        shu_old_books_bring_in(
            year=year,
            rat_date=date(year + 1, 3, 1),
            rat_decision="05/RAT",
            rows=[{"member_number": members[0].number, "jma": "1", "jua": "0"}],
            by=by,
        )
    assert e.value.code == "shu_old_books_exceeds_unassigned"


def test_the_api_brings_it_in_and_answers_the_one_error_shape(
    moved_with_old_shu, by, members, cutover, tenant_a
):
    year, rat = _old_year(cutover)
    c = _client(by, tenant_a)
    url = f"/api/v1/yearend/{year}/old-books/"

    def post(rows: list[dict]):
        body = {"rat_date": rat.isoformat(), "rat_decision": "05/RAT", "rows": rows}
        return c.post(url, body, "application/json")

    bad = post([{"member_number": "TIDAK-ADA", "jma": "1"}])
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "shu_old_books_invalid"
    assert "TIDAK-ADA" in bad.json()["error"]["fields"]["rows"][0]
    ok = post([{"member_number": members[0].number, "jma": "300.000", "jua": "0"}])
    assert ok.status_code == 201, ok.content
    assert ok.json()["old_books"] is True and ok.json()["status"] == "posted"
    assert _payable(members[0].pk) == D("300000")
    again = post([{"member_number": members[1].number, "jma": "1", "jua": "0"}])
    assert again.status_code == 409 and again.json()["error"]["code"] == "shu_old_books_year"


def test_the_year_page_offers_it_and_brings_it_in(
    moved_with_old_shu, by, members, cutover, tenant_a
):
    year, rat = _old_year(cutover)
    c = _client(by, tenant_a)
    page = c.get(f"/tutup-buku/{year}/").content.decode()
    assert 'id="old-books-form"' in page
    r = c.post(
        f"/tutup-buku/{year}/",
        {
            "action": "old_books",
            "rat_date": rat.isoformat(),
            "rat_decision": "05/RAT",
            "rows": f"{members[0].number}\t200.000\t50.000\n\n{members[1].number}; 50.000; 0\n",
        },
        follow=True,
    )
    html = r.content.decode()
    assert "2 anggota, Rp 300.000" in html and 'id="old-books"' in html
    assert _payable(members[0].pk) == D("250000") and _payable(members[1].pk) == D("50000")
    # a manual line on it is refused, as on every control account
    with pytest.raises(ApplicationError) as e:
        journal_post(
            on=timezone.localdate(),
            description="SHU dibayar",
            by=by,
            lines=[
                LineSpec(account_for_role("shu_members_payable"), debit=D("1")),
                LineSpec("1101", credit=D("1")),
            ],
        )
    assert e.value.code == "control_account"


def test_the_old_years_other_screens_and_endpoints_answer_without_an_error(
    moved_with_old_shu, by, members, cutover, tenant_a
):
    """The year brought in has no close, preview or RAT pack of its own in Lumbung: its
    other pages and endpoints answer (a page, a file or a clear refusal), never a 500."""
    year = _first_member_brought_in(cutover, members, by)
    c = _client(by, tenant_a)
    for url in (
        f"/tutup-buku/{year}/pratinjau/",
        f"/tutup-buku/{year}/rat/",
        f"/api/v1/yearend/{year}/",
        f"/api/v1/yearend/{year}/shares/",
        f"/api/v1/yearend/{year}/preview/",
        f"/api/v1/yearend/{year}/checklist/",
        f"/api/v1/yearend/{year}/rat-pack/",
    ):
        r = c.get(url)
        assert r.status_code < 500, (url, r.status_code)
    shares = c.get(f"/api/v1/yearend/{year}/shares/").json()
    rows = shares["results"] if isinstance(shares, dict) else shares
    assert [(s["number"], s["unpaid"]) for s in rows] == [(members[0].number, "300000.00")]


def test_the_old_years_preview_says_its_figures_are_the_old_books(
    moved_with_old_shu, by, members, cutover, tenant_a
):
    year = _first_member_brought_in(cutover, members, by)
    c = _client(by, tenant_a)
    r = c.get(f"/api/v1/yearend/{year}/preview/")
    assert r.status_code == 409 and r.json()["error"]["code"] == "shu_old_books_year"
    assert "pembukuan lama" in r.json()["error"]["message"]
    page = c.get(f"/tutup-buku/{year}/pratinjau/", follow=True).content.decode()
    assert f"SHU tahun {year} dibawa dari pembukuan lama" in page


def test_every_year_page_points_to_the_old_books_shu_until_it_is_assigned(
    moved_with_old_shu, by, members, cutover, tenant_a
):
    """The old year has no page of its own in the year list (its books are not in
    Lumbung): while SHU payable holds a balance naming no member, the year pages say so
    and take the old year to open its page."""
    year, rat = _old_year(cutover)
    c = _client(by, tenant_a)
    page = c.get(f"/tutup-buku/{cutover.year}/").content.decode()
    assert 'id="old-books-unassigned"' in page and "Rp 300.000" in page
    r = c.get("/tutup-buku/", {"tahun": str(year)})
    assert r.status_code == 302 and r["Location"].endswith(f"/tutup-buku/{year}/")
    assert c.get("/tutup-buku/", {"tahun": "abc"})["Location"].endswith(
        f"/tutup-buku/{timezone.localdate().year - 1}/"
    )
    assert _first_member_brought_in(cutover, members, by) == year
    page = c.get(f"/tutup-buku/{cutover.year}/").content.decode()
    assert 'id="old-books-unassigned"' not in page
    assert f'href="/tutup-buku/{year}/"' in page  # listed with the books' years
