"""What a member sees of their loans in the portal — outstanding, dues with the late
penalty, the schedule, each payment — is what the staff loan page shows an auditor, and
what the books hold (the member's lines on the loan receivable account)."""

from datetime import date

from django.template.defaultfilters import date as date_filter

from core.common.money import format_rupiah
from core.ledger.selectors import account_for_role

from .conftest import Y, client_for, ledger_member_balance, text


def _pages(tenant_a, staff, rina, loan):
    portal = client_for(tenant_a, rina.user)
    auditor = client_for(tenant_a, staff["pengawas"])
    mine = portal.get(f"/portal/pinjaman/{loan.pk}/")
    theirs = auditor.get(f"/pinjaman/{loan.pk}/")
    assert mine.status_code == theirs.status_code == 200
    return mine, theirs


def test_outstanding_schedule_and_dues_are_the_staff_pages_and_the_books(loan_story_read):
    coop, staff, rina, loan_story = loan_story_read
    portal = client_for(coop, rina.user)
    home = text(portal.get("/portal/").content.decode())
    listing = text(portal.get("/portal/pinjaman/").content.decode())
    outstanding = 0
    for key in "abc":
        loan = loan_story[key]
        mine, theirs = _pages(coop, staff, rina, loan)
        staff_loan = theirs.context["loan"]
        assert mine.context["loan"].principal_outstanding == staff_loan.principal_outstanding
        shown = f"{loan.number} · PTL Pinjaman Uang"
        assert shown in home and shown in listing
        assert f"Sisa pokok {format_rupiah(staff_loan.principal_outstanding)}" in text(
            mine.content.decode()
        )
        outstanding += staff_loan.principal_outstanding
        # the schedule: the current rows, each with what was paid of it
        assert [
            (r["number"], r["due_date"], r["principal"], r["jasa"], r["paid"], r["settled"])
            for r in mine.context["schedule"]
        ] == [
            (r.number, r.due_date, r.principal, r.jasa, r.principal_paid + r.jasa_paid, r.settled)
            for r in theirs.context["rows"]
        ]
    # the books: Rina's lines on the loan receivable account
    assert ledger_member_balance(rina, account_for_role("loan_receivable")) == outstanding
    c = loan_story["c"]
    assert outstanding == c.principal_outstanding == 5000000 - 150000

    # loan C is in arrears: the same dues as the staff page, on the home and the loan
    mine, theirs = _pages(coop, staff, rina, c)
    dues = theirs.context["dues"]
    assert dues.penalty > 0 and dues.due_total > 0
    assert mine.context["dues"]["dues"] == dues
    page = text(mine.content.decode())
    assert f"Tertunggak {format_rupiah(dues.due_total)}" in page
    assert f"termasuk denda {format_rupiah(dues.penalty)}" in page
    assert f"Dengan angsuran berikutnya {format_rupiah(dues.with_next)}" in page
    assert f"Tertunggak {format_rupiah(dues.due_total)} termasuk denda" in home
    assert f"Angsuran berikutnya {format_rupiah(dues.next_jasa + dues.next_principal)}" in home


def test_the_member_sees_every_payment_of_a_loan_as_the_staff_page_lists_it(loan_story_read):
    """Payroll, counter, the top-up's settlement and the early payoff, each with its
    receipt, date and split (penalty, jasa, principal); a reversed one marked so."""
    coop, staff, rina, loan_story = loan_story_read
    for key in "abc":
        loan = loan_story[key]
        mine, theirs = _pages(coop, staff, rina, loan)
        html = mine.content.decode()
        assert 'id="portal-loan-payments"' in html, loan.number
        rows = [text(r) for r in html.split('id="portal-loan-payments"', 1)[1].split("<tr")]
        staff_rows = theirs.context["repayments"]
        assert staff_rows
        assert [p.pk for p in mine.context["payments"]] == [p.pk for p in staff_rows]
        shown = {q.pk: q for q in mine.context["payments"]}
        for p in staff_rows:
            # a payroll one is named by its batch (test_payroll_lines), the others by receipt
            name = f"ref. {shown[p.pk].payroll.reference}" if p.channel == "payroll" else ""
            # a top-up's settlement by the new loan (test_a_top_up_settlement_…)
            name = name or (shown[p.pk].topup and shown[p.pk].topup["new_loan"].number)
            name = name or p.receipt_number
            (row,) = [r for r in rows if f" {name} " in r]
            assert row.startswith(f"> {date_filter(p.paid_on)} ")
            assert p.get_channel_display() in row
            # the parts add up to the amount (a payoff's fee, an excess: test_payment_rows)
            assert (
                f"{format_rupiah(p.penalty_shown)} {format_rupiah(p.jasa_net)} "
                f"{format_rupiah(p.principal_shown)} {format_rupiah(p.to_sukarela)} "
                f"{format_rupiah(p.amount)}"
            ) in row
    a = loan_story["a"]
    mine, _theirs = _pages(coop, staff, rina, a)
    channels = [p.channel for p in mine.context["payments"]]
    assert sorted(channels) == ["counter", "payroll", "payroll", "topup"]
    # everything A received paid its principal exactly
    assert sum(p.principal for p in mine.context["payments"]) == a.principal
    c = loan_story["c"]
    mine, _theirs = _pages(coop, staff, rina, c)
    section = text(mine.content.decode().split('id="portal-loan-payments"', 1)[1])
    assert f"Dibatalkan {date_filter(date(Y, 9, 3))}" in section
    kept = [p for p in mine.context["payments"] if not hasattr(p, "reversal")]
    assert sum(p.principal for p in kept) == c.principal - c.principal_outstanding


def test_each_schedule_row_says_how_much_of_it_was_paid(loan_story_read):
    """Loan C's first instalment (258.333: 24 months) was paid 200.000: the row says so, as the
    staff page's *Dibayar* column does, not only "partly paid"."""
    coop, staff, rina, loan_story = loan_story_read
    mine, _theirs = _pages(coop, staff, rina, loan_story["c"])
    first = mine.content.decode().split('data-label="Angsuran ke">1<', 1)[1].split("</tr>")[0]
    assert text(first.split('data-label="Dibayar">', 1)[1].split("</td>")[0]) == "Rp 200.000"


def test_a_top_up_and_a_reschedule_are_said_on_the_loans(loan_story_read):
    coop, staff, rina, loan_story = loan_story_read
    a, b = loan_story["a"], loan_story["b"]
    mine_a, _ = _pages(coop, staff, rina, a)
    mine_b, theirs_b = _pages(coop, staff, rina, b)
    page_a, page_b = text(mine_a.content.decode()), text(mine_b.content.decode())
    assert f"Dilunasi oleh top-up {b.number}" in page_a
    assert f"Top-up atas {a.number}" in page_b
    (rs,) = theirs_b.context["reschedules"]
    assert rs.capitalised_jasa > 0
    assert (
        f"{date_filter(rs.on)}: tenor 12 → 18 bulan, jasa dikapitalisasi "
        f"{format_rupiah(rs.capitalised_jasa)}"
    ) in page_b


def test_a_top_up_settlement_says_the_new_loan_settled_it_with_its_figures(loan_story_read):
    """Loan A was settled by top-up B: A's payments say so — the new loan's number and
    what it settled (principal, jasa, penalty, fee, and the overdue jasa and penalty B
    carries: A was in arrears) as the settlement's records hold them — not a stand-in
    receipt number (a top-up issues none)."""
    import re

    from core.loans.models import Repayment

    coop, staff, rina, loan_story = loan_story_read
    a, b = loan_story["a"], loan_story["b"]
    mine, _theirs = _pages(coop, staff, rina, a)
    rep = Repayment.objects.get(loan=a, channel="topup")
    # the records: B's disbursement entry settled A
    assert rep.entry_id == b.disbursement_entry_id
    assert rep.jasa_deferred > 0  # A was in arrears: a restructuring
    section = mine.content.decode().split('id="portal-loan-payments"', 1)[1]
    rows = [text(r) for r in section.split("<tr")[2:]]
    (row,) = [r for r in rows if b.number in r]
    assert rep.receipt_number not in row and not re.search(r"KW-\d{4}-\d{7}", row)
    assert f"Dilunasi oleh pinjaman baru {b.number}" in row
    assert f"pokok {format_rupiah(rep.principal)}" in row
    assert f"jasa {format_rupiah(rep.jasa_net)}" in row
    assert f"denda {format_rupiah(rep.penalty)}" in row
    assert f"biaya pelunasan {format_rupiah(rep.early_payoff_fee)}" in row
    carried = rep.jasa_deferred + rep.penalty
    assert f"dibawa pinjaman baru {format_rupiah(carried)}" in row
    assert f'href="/portal/pinjaman/{b.pk}/"' in section


def test_a_running_loan_shows_the_staff_pages_payoff_quote(loan_story_read):
    """What paying the loan off today would take — penalty, jasa due, the principal left,
    the early-payoff fee, the total — as the staff loan page quotes it at the counter;
    a closed loan quotes nothing."""
    coop, staff, rina, loan_story = loan_story_read
    c = loan_story["c"]
    mine, theirs = _pages(coop, staff, rina, c)
    quote = theirs.context["quote"]
    assert quote["penalty"] > 0 and quote["principal"] == c.principal_outstanding
    assert mine.context["quote"] == quote
    r = format_rupiah
    shown = text(
        mine.content.decode().split('id="portal-loan-payoff"', 1)[1].split("</section>")[0]
    )
    assert (
        f"Denda {r(quote['penalty'])} Jasa {r(quote['jasa'])} Sisa pokok {r(quote['principal'])} "
        f"Penalti pelunasan dipercepat {r(quote['early_payoff_fee'])} Total {r(quote['total'])}"
    ) in shown, shown
    for key in "ab":  # closed: no quote
        mine, _ = _pages(coop, staff, rina, loan_story[key])
        assert mine.context["quote"] is None
        assert 'id="portal-loan-payoff"' not in mine.content.decode()
