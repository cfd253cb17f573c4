"""A member who left during the year gets a pro-rata SHU share; when the settings say
SHU is credited to sukarela, their share cannot be (the exit settlement closed the
account): they are paid in cash or by bank transfer, with the channel recorded and an
audit row saying why. Paying the selected members pays the others and lists them."""

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
def leaver_posted(year_data, staff):
    """Settings: SHU credited to sukarela, leavers pro rata (the default). m2 retires on
    30 September (the exit settlement pays the savings by bank and closes the accounts);
    the year is closed and its SHU posted."""
    from core.exits.services import exit_settlement_confirm

    by = staff["bendahara"]
    shu_settings_set(year=YEAR, by=by, payout_method="sukarela")
    exit_settlement_confirm(
        member=year_data["m2"], reason="retired", on=date(YEAR, 9, 30), by=by, channel="bank"
    )
    close_preliminaries(by)
    yearend_close(year=YEAR, by=by)
    ye = shu_post(year=YEAR, rat_date=RAT, rat_decision="02/RAT", by=by)
    shares = {s.member_id: s for s in MemberShare.objects.filter(year_end=ye)}
    assert shares[year_data["m2"].pk].total > 0  # pro rata to the exit
    return year_data | {"ye": ye, "shares": shares}


def _share(data, member) -> Decimal:
    return data["shares"][member.pk].total


def _owed(member) -> Decimal:
    return account_balance(account=account_for_role("shu_members_payable"), member_id=member.pk)


@pytest.mark.parametrize(("method", "role"), [("bank", "bank"), ("cash", "cash")])
def test_leaver_is_paid_in_cash_or_by_transfer_when_the_settings_say_sukarela(
    leaver_posted, staff, method, role
):
    by, m2 = staff["bendahara"], leaver_posted["m2"]
    share = leaver_posted["shares"][m2.pk]
    with pytest.raises(ApplicationError) as e:
        shu_payout(year=YEAR, items=[(m2.pk, None)], method="sukarela", by=by, on=ON)
    assert e.value.code == "shu_payout_no_sukarela"
    assert "transfer bank" in str(e.value.message)
    (payout,) = shu_payout(year=YEAR, items=[(m2.pk, None)], method=method, by=by, on=ON)
    assert payout.method == method and payout.amount == share.total
    assert payout.receipt_number.startswith(f"SHU-{ON.year}-")
    share.refresh_from_db()
    assert share.paid == share.total and _owed(m2) == 0
    paid_from = JournalLine.objects.get(entry=payout.entry, account=account_for_role(role))
    assert paid_from.credit == share.total
    event = AuditEvent.objects.get(action="yearend.shu.payout")
    assert event.data["method"] == method
    assert event.data["settings_method"] == "sukarela"
    assert event.data["leavers_without_sukarela"] == [m2.pk]


def test_an_active_member_is_still_credited_to_sukarela_only(leaver_posted, staff):
    by, m1, m2 = staff["bendahara"], leaver_posted["m1"], leaver_posted["m2"]
    for items in ([(m1.pk, None)], [(m2.pk, None), (m1.pk, None)]):
        for method in ("cash", "bank"):
            with pytest.raises(ApplicationError) as e:
                shu_payout(year=YEAR, items=items, method=method, by=by, on=ON)
            assert e.value.code == "shu_payout_method"
            assert str(m1) in str(e.value.message)
    assert not ShuPayout.objects.exists()
    acc = SavingsAccount.objects.get(member=m1, product__kind="sukarela")
    before = acc.balance
    shu_payout(year=YEAR, items=[(m1.pk, None)], method="sukarela", by=by, on=ON)
    acc.refresh_from_db()
    assert acc.balance == before + _share(leaver_posted, m1)


def test_pay_selected_credits_the_others_and_sets_the_leaver_aside(leaver_posted, staff):
    by = staff["bendahara"]
    m1, m2, m3 = leaver_posted["m1"], leaver_posted["m2"], leaver_posted["m3"]
    ids = [m.pk for m in (m1, m2, m3) if _share(leaver_posted, m) > 0]
    items = [(i, None) for i in ids]
    batch = shu_payout_selected(year=YEAR, items=items, method="sukarela", by=by, on=ON)
    assert [a.share.member_id for a in batch.set_aside] == [m2.pk]
    assert {p.share.member_id for p in batch.payouts} == set(ids) - {m2.pk}
    assert {p.method for p in batch.payouts} == {"sukarela"}
    assert _owed(m2) == _share(leaver_posted, m2)  # still owed, not lost
    # only leavers left: nothing paid, they are listed
    items = [(m2.pk, None)]
    batch = shu_payout_selected(year=YEAR, items=items, method="sukarela", by=by, on=ON)
    assert batch.payouts == [] and [a.share.member_id for a in batch.set_aside] == [m2.pk]
    batch = shu_payout_selected(year=YEAR, items=items, method="bank", by=by, on=ON)
    assert [p.method for p in batch.payouts] == ["bank"] and _owed(m2) == 0


def test_year_page_pays_the_selected_and_lists_the_leaver(tenant_a, leaver_posted, staff):
    m1, m2 = leaver_posted["m1"], leaver_posted["m2"]
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(staff["bendahara"])
    page = c.get(f"/tutup-buku/{YEAR}/").content.decode()
    assert 'value="bank"' in page and "Pensiun" in page  # the leaver is marked
    data = {"action": "payout", "member": [str(m1.pk), str(m2.pk)], "method": "sukarela"}
    resp = c.post(f"/tutup-buku/{YEAR}/", data, follow=True)
    msgs = [(m.level_tag, str(m)) for m in resp.context["messages"]]
    assert msgs[0] == ("success", "SHU 1 anggota dibayar.")
    assert msgs[1][0] == "warning" and str(m2) in msgs[1][1] and "transfer bank" in msgs[1][1]
    assert ShuPayout.objects.get().share.member_id == m1.pk
    data = {"action": "payout", "member": [str(m2.pk)], "method": "bank"}
    resp = c.post(f"/tutup-buku/{YEAR}/", data, follow=True)
    assert [(m.level_tag, str(m)) for m in resp.context["messages"]] == [
        ("success", "SHU 1 anggota dibayar.")
    ]
    assert ShuPayout.objects.get(share__member=m2).method == "bank"


def test_api_pays_a_leaver_by_bank_transfer(tenant_a, leaver_posted, staff):
    m2 = leaver_posted["m2"]
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(staff["bendahara"])
    url = f"/api/v1/yearend/{YEAR}/payout/"
    body = {"method": "sukarela", "items": [{"member_id": m2.pk}], "on": ON.isoformat()}
    r = c.post(url, body, content_type="application/json")
    assert r.status_code == 200 and r.json()["paid"] == []  # set aside, nothing written
    [unpaid] = r.json()["unpaid"]
    assert unpaid["member_id"] == m2.pk and unpaid["code"] == "shu_payout_no_sukarela"
    assert "transfer bank" in unpaid["reason"] and not ShuPayout.objects.exists()
    r = c.post(url, body | {"method": "bank"}, content_type="application/json")
    assert r.status_code == 201, r.content
    assert r.json()["paid"][0]["method"] == "bank"
