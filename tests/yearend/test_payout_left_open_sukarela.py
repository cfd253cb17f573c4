"""A member marked as left outside the exit flow (existing data: the status changed
without an exit settlement, the accounts left open — the database refuses that now, so
the test writes it as such data would be, ``left_outside_exit``) still holds an open sukarela
account. Where the settings say SHU is credited to sukarela, a member who left takes no
credit on an account of their own (``sukarela_accounts_for_payout``), so such a member
is paid as a member who left through the exit flow is: in cash or by bank transfer. The
batch does not fail for them, their rupiah stay owed until paid, and the treasurer is
told who and why (the account left open named)."""

import copy
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.ledger.models import JournalLine
from core.ledger.selectors import account_balance, account_for_role
from core.savings.models import SavingsAccount
from core.yearend.models import MemberShare, ShuPayout
from core.yearend.services import (
    shu_payout,
    shu_payout_selected,
    shu_post,
    shu_settings_set,
    yearend_close,
)
from tenants.services import tenant_host
from tests.members import factories as f

from .conftest import YEAR, close_preliminaries


@pytest.fixture
def staff(year_once, in_tenant_a):
    """The module's staff (``year_once``: built once for the module, never committed),
    copied for the test."""
    return copy.deepcopy(year_once["staff"])


@pytest.fixture
def year_data(year_once, staff):
    """The module's 2025 (``year_once``), its objects copied for the test."""
    return copy.deepcopy(year_once["year"])


D = Decimal
RAT = date(YEAR + 1, 3, 1)
ON = date(YEAR + 1, 3, 2)


@pytest.fixture
def left_open(tenant_a, year_data, staff):
    """Settings: SHU credited to sukarela. m2 marked as resigned on 30 September without
    the exit settlement: their sukarela account is still open. Closed and posted."""
    by = staff["bendahara"]
    m2 = year_data["m2"]
    shu_settings_set(year=YEAR, by=by, payout_method="sukarela")
    f.left_outside_exit(m2, status="resigned", on=date(YEAR, 9, 30))
    close_preliminaries(by)
    yearend_close(year=YEAR, by=by)
    ye = shu_post(year=YEAR, rat_date=RAT, rat_decision="06/RAT", by=by)
    shares = {s.member_id: s for s in MemberShare.objects.filter(year_end=ye)}
    assert shares[m2.pk].total > 0 and shares[year_data["m1"].pk].total > 0
    acc = SavingsAccount.objects.get(member=m2, product__kind="sukarela")
    assert acc.status == "open"
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(by)
    return year_data | {"shares": shares, "acc": acc, "client": c}


def _owed(member) -> Decimal:
    return account_balance(account=account_for_role("shu_members_payable"), member_id=member.pk)


def test_credited_to_sukarela_the_batch_is_refused_naming_the_member_and_the_open_account(
    left_open, staff
):
    by, m2, acc = staff["bendahara"], left_open["m2"], left_open["acc"]
    with pytest.raises(ApplicationError) as e:
        shu_payout(year=YEAR, items=[(m2.pk, None)], method="sukarela", by=by, on=ON)
    assert e.value.code == "shu_payout_no_sukarela"
    msg = str(e.value.message)
    assert str(m2) in msg and acc.number in msg and "transfer bank" in msg
    assert not ShuPayout.objects.exists() and _owed(m2) == left_open["shares"][m2.pk].total


def test_pay_selected_sets_the_member_aside_saying_why_and_pays_the_others(left_open, staff):
    by, m1, m2, acc = staff["bendahara"], left_open["m1"], left_open["m2"], left_open["acc"]
    before = acc.balance
    batch = shu_payout_selected(
        year=YEAR, items=[(m1.pk, None), (m2.pk, None)], method="sukarela", by=by, on=ON
    )
    assert [p.share.member_id for p in batch.payouts] == [m1.pk]
    [aside] = batch.set_aside
    assert aside.share.member_id == m2.pk and aside.code == "shu_payout_no_sukarela"
    assert aside.amount == left_open["shares"][m2.pk].total
    # the reason names the account left open and the way to pay
    assert acc.number in aside.reason and "transfer bank" in aside.reason
    assert "Keluar" in aside.reason
    acc.refresh_from_db()
    assert acc.balance == before  # nothing credited to the left member's account
    assert _owed(m2) == left_open["shares"][m2.pk].total  # still owed, not lost


@pytest.mark.parametrize(("method", "role"), [("cash", "cash"), ("bank", "bank")])
def test_the_member_is_paid_in_cash_or_by_transfer_as_a_member_who_left(
    left_open, staff, method, role
):
    by, m2 = staff["bendahara"], left_open["m2"]
    share = left_open["shares"][m2.pk]
    [payout] = shu_payout(year=YEAR, items=[(m2.pk, None)], method=method, by=by, on=ON)
    assert payout.method == method and payout.amount == share.total
    assert payout.receipt_number.startswith(f"SHU-{ON.year}-")
    share.refresh_from_db()
    assert share.paid == share.total and _owed(m2) == 0
    line = JournalLine.objects.get(entry=payout.entry, account=account_for_role(role))
    assert line.credit == share.total
    event = AuditEvent.objects.get(action="yearend.shu.payout")
    assert event.data["settings_method"] == "sukarela"
    assert event.data["leavers_without_sukarela"] == [m2.pk]
    # the auditor sees that the member still had a sukarela account open
    assert event.data["leavers_with_sukarela_left_open"] == {str(m2.pk): left_open["acc"].number}


def test_an_active_member_still_cannot_be_paid_in_cash_beside_them(left_open, staff):
    by, m1, m2 = staff["bendahara"], left_open["m1"], left_open["m2"]
    with pytest.raises(ApplicationError) as e:
        shu_payout(year=YEAR, items=[(m2.pk, None), (m1.pk, None)], method="cash", by=by, on=ON)
    assert e.value.code == "shu_payout_method"
    assert str(m1) in e.value.message and str(m2) not in e.value.message
    assert not ShuPayout.objects.exists()


def test_year_page_lists_the_member_then_pays_them_by_transfer(left_open):
    c, m1, m2, acc = left_open["client"], left_open["m1"], left_open["m2"], left_open["acc"]
    data = {"action": "payout", "member": [str(m1.pk), str(m2.pk)], "method": "sukarela"}
    resp = c.post(f"/tutup-buku/{YEAR}/", data, follow=True)
    msgs = [(m.level_tag, str(m)) for m in resp.context["messages"]]
    assert msgs[0] == ("success", "SHU 1 anggota dibayar.")
    assert msgs[1][0] == "warning" and str(m2) in msgs[1][1] and acc.number in msgs[1][1]
    data = {"action": "payout", "member": [str(m2.pk)], "method": "bank"}
    resp = c.post(f"/tutup-buku/{YEAR}/", data, follow=True)
    assert [(m.level_tag, str(m)) for m in resp.context["messages"]] == [
        ("success", "SHU 1 anggota dibayar.")
    ]
    assert ShuPayout.objects.get(share__member=m2).method == "bank"
    assert _owed(m2) == 0


def test_api_answers_the_member_unpaid_then_pays_them_in_cash(left_open):
    c, m2, acc = left_open["client"], left_open["m2"], left_open["acc"]
    url = f"/api/v1/yearend/{YEAR}/payout/"
    body = {"method": "sukarela", "items": [{"member_id": m2.pk}], "on": ON.isoformat()}
    r = c.post(url, body, content_type="application/json")
    assert r.status_code == 200 and r.json()["paid"] == []
    [unpaid] = r.json()["unpaid"]
    assert unpaid["member_id"] == m2.pk and unpaid["code"] == "shu_payout_no_sukarela"
    assert acc.number in unpaid["reason"]
    r = c.post(url, body | {"method": "cash"}, content_type="application/json")
    assert r.status_code == 201, r.content
    assert r.json()["paid"][0]["method"] == "cash" and _owed(m2) == 0
