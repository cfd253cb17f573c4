"""What a member sees of their savings in the portal — each account's balance, the
total, every movement with its running balance (interest and its PPh, a reversed
deposit, an SHU credit taken back) — is the staff member page's and kartu simpanan's,
the bendahara's PPh list, and the books (the member's lines on each product's control
account)."""

from datetime import date

from django.db.models import Sum

from core.common.dates import format_bulan
from core.common.money import format_rupiah
from core.ledger.models import JournalLine
from core.savings.selectors import interest_tax_report

from .conftest import (
    CLOSED,
    ZERO,
    Y,
    assert_books_hold,
    client_for,
    ledger_member_balance,
    text,
)

PERIOD = {"date_from": f"{CLOSED}-01-01", "date_to": f"{Y}-12-31"}


def test_balances_and_total_are_the_staff_pages_and_the_books(savings_story_read):
    coop, staff, rina, _ = savings_story_read
    assert_books_hold()
    portal = client_for(coop, rina.user)
    mine = portal.get("/portal/")
    ov = client_for(coop, staff["pengawas"]).get(f"/anggota/{rina.pk}/").context["ov"]
    assert [(a.pk, a.balance) for a in mine.context["accounts"]] == [
        (a.pk, a.balance) for a in ov.accounts
    ]
    assert mine.context["savings_total"] == ov.savings_total
    home = text(mine.content.decode())
    assert f"Simpanan {format_rupiah(ov.savings_total)}" in home
    for a in ov.accounts:
        # the books: her lines on the product's control account
        assert ledger_member_balance(rina, a.product.account) == a.balance, a.product.kind
        assert f"{a.product} {format_rupiah(a.balance)}" in home
    sukarela = next(a for a in ov.accounts if a.product.kind == "sukarela")
    # deposits 100.000.000, withdrawn 2.000.000, a reversed deposit, 12 months' net jasa
    assert 98000000 < sukarela.balance < 101000000


def test_every_movement_is_the_kartu_simpanans_with_the_same_running_balance(savings_story_read):
    coop, staff, rina, savings_story = savings_story_read
    portal = client_for(coop, rina.user)
    mine = portal.get("/portal/transaksi/", PERIOD)
    theirs = client_for(coop, staff["pengawas"]).get(f"/simpanan/kartu/{rina.pk}/", PERIOD)
    assert theirs.status_code == 200
    got = [
        (s.account.pk, s.opening, [(t.pk, t.delta, t.running_balance) for t in s.rows], s.closing)
        for s in mine.context["statement"]
    ]
    want = [
        (s.account.pk, s.opening, [(t.pk, t.delta, t.running_balance) for t in s.rows], s.closing)
        for s in theirs.context["statement"]
    ]
    assert got == want
    for s in mine.context["statement"]:
        assert s.closing == s.account.balance
    page = mine.content.decode()
    # the reversed deposit: both rows, the cancellation naming the receipt it cancels
    wrong = savings_story["wrong"]
    assert text(page).count(f"{wrong.receipt_number}") == 2
    assert f"Pembatalan {wrong.receipt_number}: salah rekening -Rp 1.000.000" in text(page)
    # the SHU credited to sukarela and taken back
    assert f"SHU tahun {CLOSED}" in text(
        page
    ) and f"Pembatalan SHU tahun {CLOSED}: salah rekening" in text(page)


def test_interest_and_its_tax_are_the_pph_list_and_the_books(savings_story_read):
    """Each month's jasa simpanan and PPh row on the portal is the bendahara's bukti
    potong list for her, and their net is her line on the sukarela control account of
    that run's entry."""
    coop, _, rina, _ = savings_story_read
    portal = client_for(coop, rina.user)
    statement = portal.get("/portal/transaksi/", PERIOD).context["statement"]
    sukarela = next(s for s in statement if s.account.product.kind == "sukarela")
    page = text(portal.get("/portal/transaksi/", PERIOD).content.decode())
    months = 0
    for month in range(1, 13):
        interest = [t for t in sukarela.rows if t.kind == "interest" and t.on.month == month]
        tax = [t for t in sukarela.rows if t.kind == "tax" and t.on.month == month]
        listed = [
            r for r in interest_tax_report(year=CLOSED, month=month) if r.member_id == rina.pk
        ]
        if not interest:
            assert not tax and not listed
            continue
        (row,) = listed
        assert sum(t.amount for t in interest) == row.gross
        assert sum(t.amount for t in tax) == row.tax
        months += 1
        assert row.tax > 0  # over Rp 240.000 in the month: 10 % withheld
        entry = interest[0].journal_entry
        net = JournalLine.objects.filter(
            entry=entry, member_id=rina.pk, account=sukarela.account.product.account
        ).aggregate(c=Sum("credit", default=ZERO), d=Sum("debit", default=ZERO))
        assert net["c"] - net["d"] == row.gross - row.tax
        # the month in words, as the member says it (not 02/<year>)
        said = format_bulan(date(CLOSED, month, 1))
        assert f"Jasa simpanan {said} {format_rupiah(row.gross)}" in page
        assert f"PPh jasa simpanan {said} -{format_rupiah(row.tax)}" in page
    assert months == 11  # January's lowest balance was 0 (opened on the 10th)


def test_the_shu_share_and_what_was_paid_are_the_staff_pages_and_the_books(savings_story_read):
    from core.ledger.selectors import account_for_role

    coop, staff, rina, _ = savings_story_read
    portal = client_for(coop, rina.user)
    mine = portal.get("/portal/shu/")
    ov = client_for(coop, staff["pengawas"]).get(f"/anggota/{rina.pk}/").context["ov"]
    (row,) = mine.context["rows"]
    (share,) = ov.shu
    assert row["share"].pk == share.pk
    assert (row["share"].total, row["share"].paid, row["share"].unpaid) == (
        share.total,
        share.total,
        0,
    )
    # the books: SHU bagian anggota owes her nothing now
    assert ledger_member_balance(rina, account_for_role("shu_members_payable")) == 0
    page = text(mine.content.decode())
    assert f"Tahun buku {CLOSED}: {format_rupiah(share.total)}" in page
    assert f"Sudah dibayar {format_rupiah(share.total)} Belum dibayar Rp 0" in page


def test_the_shu_page_lists_each_payout_and_the_one_reversed(savings_story_read):
    """Paid to sukarela on 10 March, taken back on 12 March, paid in cash on 13 March:
    the member sees where her SHU went, not only "paid"."""
    from django.template.defaultfilters import date as date_filter

    coop, _, rina, savings_story = savings_story_read
    portal = client_for(coop, rina.user)
    html = portal.get("/portal/shu/").content.decode()
    assert f'id="portal-shu-payouts-{CLOSED}"' in html
    section = text(html.split(f'id="portal-shu-payouts-{CLOSED}"', 1)[1].split("</section>")[0])
    cash, to_sukarela = savings_story["cash"], savings_story["to_sukarela"]
    amount = format_rupiah(cash.amount)
    assert (
        f"{date_filter(date(Y, 3, 10))} Ke simpanan sukarela {amount} "
        f"Dibatalkan {date_filter(date(Y, 3, 12))} : salah rekening"  # (a badge, then why)
    ) in section
    assert f"{date_filter(date(Y, 3, 13))} Tunai {cash.receipt_number} {amount}" in section
    assert cash.amount == to_sukarela.amount


def test_a_frozen_account_is_marked_with_its_balance_still_counted(tenant_a, staff, rina):
    """The bendahara froze her sukarela (withdrawals refused): the home says *Diblokir*
    beside it, as the staff account page does; its balance still counts in the total, as
    on the staff member page."""
    from core.savings.services import savings_account_freeze

    from .conftest import account_of, books_open_back_to, deposit

    books_open_back_to(Y)
    deposit(rina, "sukarela", "750000", date(Y, 1, 5), staff["bendahara"])
    deposit(rina, "pokok", "100000", date(Y, 1, 5), staff["bendahara"])
    savings_account_freeze(
        account=account_of(rina, "sukarela"), reason="sengketa ahli waris", by=staff["bendahara"]
    )
    portal = client_for(tenant_a, rina.user)
    home = portal.get("/portal/")
    page = text(home.content.decode())
    assert "Simpanan Sukarela Diblokir Rp 750.000" in page
    assert "Simpanan Pokok Rp 100.000" in page and "Simpanan Rp 850.000" in page
    ov = client_for(tenant_a, staff["pengawas"]).get(f"/anggota/{rina.pk}/").context["ov"]
    assert home.context["savings_total"] == ov.savings_total == 850000


def test_the_member_downloads_their_kartu_simpanan_as_the_staff_print_it(savings_story_read):
    """*Unduh PDF* on the transactions page: the kartu simpanan of the period shown, the
    same document (and figures) the staff print for her."""
    import io

    from pypdf import PdfReader

    coop, staff, rina, _ = savings_story_read
    portal = client_for(coop, rina.user)
    page = portal.get("/portal/transaksi/", PERIOD).content.decode()
    assert "format=pdf" in page
    resp = portal.get("/portal/transaksi/", PERIOD | {"format": "pdf"})
    assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
    assert f"kartu-simpanan-{rina.number}.pdf" in resp["Content-Disposition"]
    mine = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(resp.content)).pages)
    staff_pdf = client_for(coop, staff["pengawas"]).get(
        f"/simpanan/kartu/{rina.pk}/", PERIOD | {"format": "pdf"}
    )
    theirs = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(staff_pdf.content)).pages)
    assert rina.number in mine and "KARTU SIMPANAN ANGGOTA" in mine
    statement = portal.get("/portal/transaksi/", PERIOD).context["statement"]
    for s in statement:
        assert format_rupiah(s.closing) in mine
    # the same lines as the staff print (the printing time aside)
    strip = lambda t: [ln for ln in t.splitlines() if "Dicetak" not in ln]  # noqa: E731
    assert strip(mine) == strip(theirs)
