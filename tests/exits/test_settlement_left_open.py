# ruff: noqa: F811, F401
"""A member marked as left outside the exit flow (existing data: the status changed, the
savings accounts and loans left open — the database refuses that now) is settled on the
exit screen: *Selesaikan rekening yang masih terbuka* pays out every open account (pokok
and wajib returned as at an exit, sukarela with it), offsets the running loans, pays the
unpaid SHU, in one balanced journal entry, and closes the accounts; the member keeps the
status and exit date they have. It is an exit settlement (``ExitSettlement.left_open``),
reversed as one: the accounts reopen with their balances, the loans run again, the entry
is reversed — and the member stays as they were (left).

Before: the exit settlement refused the member as no longer active and the teller
refused a withdrawal (*gunakan penyelesaian keluar*): nothing could pay them out."""

from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from django.test import Client

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.exits.selectors import members_left_open
from core.exits.services import (
    exit_settlement_confirm,
    exit_settlement_left_open_confirm,
    exit_settlement_preview,
    exit_settlement_reverse,
)
from core.ledger.models import JournalLine
from core.ledger.selectors import account_balance, account_for_role
from core.ledger.services import LineSpec, journal_post
from core.loans.models import Loan
from core.members.models import Member, MemberChange
from core.savings.models import ExitSettlement, SavingsAccount, SavingsProduct
from core.savings.services import savings_account_get_or_open, teller_deposit
from lumbung.dashboard import dashboard_panels
from tests.loans.conftest import _media, make_loan, member, product, staff
from tests.members import factories as f
from tests.savings.conftest import assert_reconciled

D = Decimal
HOST = "alpha.localhost"
SAVED = {"pokok": D("100000"), "wajib": D("1200000"), "sukarela": D("750000")}


def _loans_reconciled():
    from tests.loans.conftest import assert_reconciled as loans_ok

    loans_ok()


@pytest.fixture
def dates(today):
    """Saved 30 days ago, marked as left 20 days ago, settled today. No jasa simpanan
    (interest off on every product): the figures are the balances, to the rupiah."""
    saved_on = today - timedelta(days=30)
    if saved_on.year < today.year:  # early January: last year's books opened
        from core.ledger.services import fiscal_year_ensure

        fiscal_year_ensure(year=saved_on.year)
    SavingsProduct.objects.update(interest_enabled=False)
    return {"saved": saved_on, "left": today - timedelta(days=20), "today": today}


def _save(m, products, staff, on, amounts=SAVED):
    for kind, amount in amounts.items():
        acc = savings_account_get_or_open(member=m, product=products[kind], on=on)
        teller_deposit(account=acc, amount=amount, channel="cash", on=on, by=staff["petugas"])


@pytest.fixture
def left(products, member, staff, dates):
    _save(member, products, staff, dates["saved"])
    return f.left_outside_exit(member, status="resigned", on=dates["left"])


def _savings_of(m) -> Decimal:
    """The member's savings on the ledger's control accounts (pokok, wajib, sukarela)."""
    total = D(0)
    for p in SavingsProduct.objects.filter(kind__in=("pokok", "wajib", "sukarela")):
        total += account_balance(account=p.account, member_id=m.pk)
    return total


def _balanced(entry_id) -> Decimal:
    lines = JournalLine.objects.filter(entry_id=entry_id)
    debit = sum((x.debit for x in lines), D(0))
    assert debit == sum((x.credit for x in lines), D(0)) and debit > 0
    return debit


def test_the_exit_refused_such_a_member_before_and_still_points_to_the_left_open_settlement(
    left, staff, dates
):
    with pytest.raises(ApplicationError) as e:
        exit_settlement_confirm(
            member=left, reason="resigned", on=dates["today"], by=staff["bendahara"]
        )
    assert e.value.code == "settlement_member_not_active"
    assert "masih terbuka" in str(e.value.message)


def test_preview_shows_the_accounts_left_open_and_the_net(left, dates):
    p = exit_settlement_preview(member=left, on=dates["today"])
    assert p.left_open is True
    assert [a.balance for a in p.accounts] == [D("100000"), D("1200000"), D("750000")]
    assert p.savings_total == D("2050000")
    assert p.loans_outstanding == 0 and p.shu_unpaid == 0 and p.interest_total == 0
    assert p.net_payable == D("2050000")


def test_settling_pays_out_and_closes_the_accounts_keeping_the_exit(left, staff, dates):
    bank = account_for_role("bank")
    bank_before = account_balance(account=bank)
    assert _savings_of(left) == D("2050000")
    s = exit_settlement_left_open_confirm(
        member=left,
        on=dates["today"],
        by=staff["bendahara"],
        channel="bank",
        expected_net=D("2050000"),
    )
    assert s.left_open is True and s.reason == "resigned"
    assert s.savings_total == D("2050000") and s.net_payable == D("2050000")
    assert s.on == dates["today"] and s.payee == "member"
    # every account closed, emptied; nothing deleted
    accs = SavingsAccount.objects.filter(member=left)
    assert accs.count() == 3
    assert {a.status for a in accs} == {"closed"} and {a.balance for a in accs} == {D(0)}
    assert {a.closed_on for a in accs} == {dates["today"]}
    # the member's savings on the ledger: nothing left; the bank paid it out
    assert _savings_of(left) == 0
    assert bank_before - account_balance(account=bank) == D("2050000")
    assert _balanced(s.journal_entry_id) == D("2050000")
    assert s.journal_entry.source == "member"
    # the member stays as they left: status, exit date, no new status history
    fresh = Member.objects.get(pk=left.pk)
    assert (fresh.status, fresh.exit_date) == ("resigned", dates["left"])
    assert MemberChange.objects.filter(member=left, field="status").count() == 1
    ev = AuditEvent.objects.get(action="member.exit_settlement_left_open", target_id=str(left.pk))
    assert ev.data["net_payable"] == "2050000.00" and ev.data["reason"] == "resigned"
    assert_reconciled()
    # nothing is left open: a second one is refused
    with pytest.raises(ApplicationError) as e:
        exit_settlement_left_open_confirm(member=left, on=dates["today"], by=staff["bendahara"])
    assert e.value.code == "settlement_nothing_left_open"


def test_a_running_loan_is_offset_against_the_savings(products, member, staff, dates, make_loan):
    _save(
        member, products, staff, dates["saved"], {"pokok": D("100000"), "sukarela": D("12000000")}
    )
    loan = make_loan(principal=D("10000000"), days_ago=25)
    left = f.left_outside_exit(member, status="retired", on=dates["left"])
    p = exit_settlement_preview(member=left, on=dates["today"])
    assert p.loans_outstanding >= D("10000000")
    # the wajib pinjam the disbursement credited to wajib comes back too
    assert p.savings_total == D("12100000") + D("100000")
    assert p.net_payable == p.savings_total - p.loans_outstanding
    cash = account_for_role("cash")
    cash_before = account_balance(account=cash)
    s = exit_settlement_left_open_confirm(
        member=left,
        on=dates["today"],
        by=staff["bendahara"],
        channel="cash",
        expected_net=p.net_payable,
    )
    assert s.loans_outstanding == p.loans_outstanding and s.net_payable == p.net_payable
    assert s.reason == "retired"
    assert Loan.objects.get(pk=loan.pk).status == Loan.Status.CLOSED
    assert not SavingsAccount.objects.filter(member=left, status="open").exists()
    assert _savings_of(left) == 0
    assert cash_before - account_balance(account=cash) == p.net_payable
    _balanced(s.journal_entry_id)
    assert Member.objects.get(pk=left.pk).status == "retired"
    assert_reconciled()
    _loans_reconciled()


def test_unpaid_shu_is_paid_with_it(left, staff, dates):
    journal_post(
        on=dates["today"],
        description="SHU bagian anggota (uji)",
        source="shu",
        source_ref=f"uji:left-open:{uuid4().hex}",
        lines=[
            LineSpec(account_for_role("shu_current_year"), debit=D("250000")),
            LineSpec(
                account_for_role("shu_members_payable"), credit=D("250000"), member_id=left.pk
            ),
        ],
        by=staff["bendahara"],
    )
    s = exit_settlement_left_open_confirm(member=left, on=dates["today"], by=staff["bendahara"])
    assert s.shu_unpaid == D("250000") and s.net_payable == D("2300000")
    assert account_balance(account=account_for_role("shu_members_payable"), member_id=left.pk) == 0


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("active", "settlement_member_active"),
        ("before_exit", "settlement_bad_date"),
        ("nothing_open", "settlement_nothing_left_open"),
        ("reason", "settlement_bad_reason"),
        # the exit request's own checks, as for an ordinary exit: loans are waived and
        # heirs paid only for a member who died
        ("waiver", "settlement_bad_waiver"),
        ("heirs", "settlement_bad_payee"),
    ],
)
def test_refusals_change_nothing(products, member, staff, dates, case, code):
    _save(member, products, staff, dates["saved"])
    kwargs = {"on": dates["today"]}
    if case == "active":
        target = member
    elif case == "nothing_open":
        target = f.left_outside_exit(f.member(), on=dates["left"])
    else:
        target = f.left_outside_exit(member, on=dates["left"])
        if case == "before_exit":
            kwargs["on"] = dates["left"] - timedelta(days=1)
        elif case == "waiver":
            kwargs |= {"waive_loans": True, "waiver_reason": "x", "board_decision_ref": "1/2026"}
        elif case == "heirs":
            kwargs["payee"] = "heirs"
        else:
            kwargs["reason"] = "retired"  # not the status they left with
    with pytest.raises(ApplicationError) as e:
        exit_settlement_left_open_confirm(member=target, by=staff["bendahara"], **kwargs)
    assert e.value.code == code
    if case == "before_exit":
        assert "tanggal keluar" in str(e.value.message)
    assert not ExitSettlement.objects.filter(member=target).exists()
    assert SavingsAccount.objects.filter(member=member, status="open").count() == 3


def test_a_teller_cannot_settle_it(left, staff, dates):
    with pytest.raises(ApplicationError) as e:
        exit_settlement_left_open_confirm(member=left, on=dates["today"], by=staff["petugas"])
    assert e.value.status_code == 403
    assert not ExitSettlement.objects.filter(member=left).exists()


def test_reversal_reopens_the_accounts_and_the_member_stays_left(left, staff, dates):
    bank = account_for_role("bank")
    bank_before = account_balance(account=bank)
    s = exit_settlement_left_open_confirm(member=left, on=dates["today"], by=staff["bendahara"])
    exit_settlement_reverse(settlement=s, by=staff["bendahara"], reason="salah anggota")
    accs = {a.product.kind: a for a in SavingsAccount.objects.filter(member=left)}
    assert {k: a.status for k, a in accs.items()} == dict.fromkeys(SAVED, "open")
    assert {k: a.balance for k, a in accs.items()} == SAVED
    assert _savings_of(left) == D("2050000")
    assert account_balance(account=bank) == bank_before
    fresh = Member.objects.get(pk=left.pk)
    assert (fresh.status, fresh.exit_date) == ("resigned", dates["left"])
    s.refresh_from_db()
    assert s.reversed_at is not None and s.reversal_entry_id is not None
    assert_reconciled()
    # and it can be settled again
    again = exit_settlement_left_open_confirm(member=left, on=dates["today"], by=staff["bendahara"])
    assert again.net_payable == D("2050000")
    assert_reconciled()


def _client(user) -> Client:
    c = Client(HTTP_HOST=HOST)
    c.force_login(user)
    return c


def test_screen_shows_the_left_open_settlement_and_confirms_it(left, staff, dates):
    c = _client(staff["bendahara"])
    r = c.get(f"/anggota/{left.pk}/keluar/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "Rp 2.050.000" in html and "masih terbuka" in html
    assert "Selesaikan rekening yang masih terbuka" in html
    for acc in SavingsAccount.objects.filter(member=left):
        assert acc.number in html
    r = c.post(
        f"/anggota/{left.pk}/keluar/",
        {
            "on": dates["today"].isoformat(),
            "channel": "bank",
            "payee": "member",
            "expected_net": "2050000",
            "expected_net_waived": "2050000",
            "shown_on": dates["today"].isoformat(),
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    s = ExitSettlement.objects.get(member=left)
    assert s.left_open and s.net_payable == D("2050000")
    assert not SavingsAccount.objects.filter(member=left, status="open").exists()
    # the page now shows the settlement; its reversal says the member stays left
    html = c.get(f"/anggota/{left.pk}/keluar/").content.decode()
    assert "Rp 2.050.000" in html and "tetap tercatat keluar" in html


def test_screen_of_a_member_who_left_with_nothing_open_says_so(staff, dates, in_tenant_a):
    m = f.left_outside_exit(f.member(), on=dates["left"])
    html = _client(staff["bendahara"]).get(f"/anggota/{m.pk}/keluar/").content.decode()
    assert "Selesaikan rekening yang masih terbuka" not in html
    assert "sudah tidak aktif" in html


def test_member_page_says_what_is_left_open_and_links_the_settlement(left, staff, dates):
    c = _client(staff["bendahara"])
    html = c.get(f"/anggota/{left.pk}/").content.decode()
    assert 'id="left-open"' in html and f"/anggota/{left.pk}/keluar/" in html
    exit_settlement_left_open_confirm(member=left, on=dates["today"], by=staff["bendahara"])
    assert 'id="left-open"' not in c.get(f"/anggota/{left.pk}/").content.decode()


def test_members_left_open_lists_them_with_what_they_hold(left, products, staff, dates):
    settled = f.member()
    _save(settled, products, staff, dates["saved"], {"sukarela": D("500000")})
    exit_settlement_confirm(
        member=settled, reason="moved", on=dates["today"], by=staff["bendahara"]
    )
    f.member()  # active: theirs are simply open
    found = {x.member.pk: x for x in members_left_open()}
    assert set(found) == {left.pk}
    x = found[left.pk]
    assert (x.savings, x.accounts, x.loans) == (D("2050000"), 3, 0)
    exit_settlement_left_open_confirm(member=left, on=dates["today"], by=staff["bendahara"])
    assert members_left_open() == []


def test_dashboard_lists_them_as_tasks_for_those_who_settle(left, staff, dates):
    for role in ("bendahara", "admin", "ketua"):
        items = dashboard_panels(user=staff[role], today=dates["today"])["tasks"].data["items"]
        (mine,) = [t for t in items if left.number in t["label"]]
        assert mine["amount"] == D("2050000")
        assert mine["url"] == f"/anggota/{left.pk}/keluar/"
        assert mine["step"] == "Keluar, rekening masih terbuka"
    assert "tasks" not in dashboard_panels(user=staff["petugas"], today=dates["today"])
    exit_settlement_left_open_confirm(member=left, on=dates["today"], by=staff["bendahara"])
    assert "tasks" not in dashboard_panels(user=staff["admin"], today=dates["today"])


def test_something_open_after_an_exit_settlement_says_to_reverse_and_settle_again(
    products, member, staff, dates
):
    """E.g. a loan brought in on the closed record by a move-in before it refused that:
    the left-open settlement is refused (one settlement per member) and the page says
    what to do."""
    _save(member, products, staff, dates["saved"])
    exit_settlement_confirm(
        member=member, reason="resigned", on=dates["today"], by=staff["bendahara"]
    )
    acc = SavingsAccount.objects.filter(member=member).first()
    SavingsAccount.objects.filter(pk=acc.pk).update(status="open", closed_on=None)
    with pytest.raises(ApplicationError) as e:
        exit_settlement_left_open_confirm(member=member, on=dates["today"], by=staff["bendahara"])
    assert e.value.code == "settlement_already_made"
    html = _client(staff["bendahara"]).get(f"/anggota/{member.pk}/keluar/").content.decode()
    assert 'id="still-open"' in html and "batalkan penyelesaian ini" in html
