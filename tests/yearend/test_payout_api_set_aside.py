"""The API's SHU payout behaves like the year page's "pay the selected": credited to
sukarela, the members without an open sukarela account (one who left, an active member
who never opened one) are set aside and answered with a reason each, the others are
paid in one entry. A genuinely invalid request (a share paid twice, more than what is
unpaid, a member twice, no share at all) is still refused whole, nothing written."""

import copy
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from core.ledger.models import JournalEntry
from core.ledger.selectors import account_balance, account_for_role
from core.savings.models import SavingsAccount
from core.yearend.models import MemberShare, ShuPayout
from core.yearend.services import shu_payout, shu_post, shu_settings_set, yearend_close
from tenants.services import tenant_host
from tests.members import factories as f
from tests.module_coop import module_uncommitted

from .conftest import YEAR, _deposit, close_preliminaries, year_of

D = Decimal
RAT = date(YEAR + 1, 3, 1)
ON = date(YEAR + 1, 3, 2)
URL = f"/api/v1/yearend/{YEAR}/payout/"


@pytest.fixture(scope="module")
def _posted_once(django_db_setup, django_db_blocker, tmp_path_factory):
    """Settings: SHU credited to sukarela. m2 retired on 30 September (the exit closed
    their accounts); m4 is active with pokok and wajib but no sukarela account. Closed
    and posted. Built once for the module in cooperative A, never committed
    (``module_uncommitted``): each test's writes are rolled back on top of it."""
    from core.exits.services import exit_settlement_confirm

    def build():
        staff = {r: f.user(r) for r in ("admin", "ketua", "bendahara", "petugas", "pengawas")}
        year_data = year_of(staff)
        by = staff["bendahara"]
        m4 = f.member(full_name="Empat")
        _deposit(m4, "pokok", "100000", date(YEAR, 1, 10), by)
        _deposit(m4, "wajib", "1200000", date(YEAR, 1, 10), by)
        shu_settings_set(year=YEAR, by=by, payout_method="sukarela")
        exit_settlement_confirm(
            member=year_data["m2"], reason="retired", on=date(YEAR, 9, 30), by=by, channel="bank"
        )
        close_preliminaries(by)
        yearend_close(year=YEAR, by=by)
        ye = shu_post(year=YEAR, rat_date=RAT, rat_decision="04/RAT", by=by)
        shares = {s.member_id: s for s in MemberShare.objects.filter(year_end=ye)}
        for m in (year_data["m1"], year_data["m2"], m4):
            assert shares[m.pk].total > 0
        assert not SavingsAccount.objects.filter(member=m4, product__kind="sukarela").exists()
        return year_data | {"m4": m4, "shares": shares, "staff": staff}

    with module_uncommitted(django_db_blocker, tmp_path_factory, build) as built:
        yield built


@pytest.fixture
def staff(_posted_once, in_tenant_a):
    """The module's staff (``_posted_once``), copied for the test."""
    return copy.deepcopy(_posted_once["staff"])


@pytest.fixture
def posted(tenant_a, _posted_once, staff):
    """The module's closed and posted year (``_posted_once``), its objects copied for the
    test, and an API client as the bendahara."""
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(staff["bendahara"])
    return copy.deepcopy(_posted_once) | {"client": c}


def _owed(member) -> Decimal:
    return account_balance(account=account_for_role("shu_members_payable"), member_id=member.pk)


def _post(c, items, method="sukarela"):
    body = {"method": method, "on": ON.isoformat(), "items": items}
    return c.post(URL, body, content_type="application/json")


def _nothing_written():
    assert not ShuPayout.objects.exists()
    assert not MemberShare.objects.filter(paid__gt=0).exists()
    assert not JournalEntry.objects.filter(source_ref__contains=":payout:").exists()


def test_api_pays_the_others_and_answers_the_set_aside_with_a_reason_each(posted):
    m1, m2, m4, shares = posted["m1"], posted["m2"], posted["m4"], posted["shares"]
    acc = SavingsAccount.objects.get(member=m1, product__kind="sukarela")
    before = acc.balance
    r = _post(posted["client"], [{"member_id": m.pk} for m in (m1, m2, m4)])
    assert r.status_code == 201, r.content
    body = r.json()
    assert [(p["member_id"], p["method"]) for p in body["paid"]] == [(m1.pk, "sukarela")]
    assert D(body["paid"][0]["amount"]) == shares[m1.pk].total
    unpaid = {u["member_id"]: u for u in body["unpaid"]}
    assert set(unpaid) == {m2.pk, m4.pk}
    assert {u["code"] for u in unpaid.values()} == {"shu_payout_no_sukarela"}
    assert unpaid[m4.pk]["number"] == m4.number and unpaid[m4.pk]["name"] == "Empat"
    assert D(unpaid[m4.pk]["amount"]) == shares[m4.pk].total
    assert D(unpaid[m2.pk]["amount"]) == shares[m2.pk].total
    # the leaver is to be paid in cash or by transfer; the active member needs an account
    assert "transfer bank" in unpaid[m2.pk]["reason"]
    assert "bukakan rekening" in unpaid[m4.pk]["reason"]
    # m1 credited, the others still owed, nothing lost
    acc.refresh_from_db()
    assert acc.balance == before + shares[m1.pk].total
    assert _owed(m1) == 0
    assert _owed(m2) == shares[m2.pk].total and _owed(m4) == shares[m4.pk].total
    assert ShuPayout.objects.get().share.member_id == m1.pk
    assert MemberShare.objects.get(pk=shares[m4.pk].pk).paid == 0


def test_api_with_only_set_aside_members_pays_nothing_and_lists_them(posted):
    m2, m4 = posted["m2"], posted["m4"]
    r = _post(posted["client"], [{"member_id": m4.pk}, {"member_id": m2.pk}])
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["paid"] == []
    assert sorted(u["member_id"] for u in body["unpaid"]) == sorted([m2.pk, m4.pk])
    _nothing_written()
    # the leaver is then paid by transfer, as the reason says
    r = _post(posted["client"], [{"member_id": m2.pk}], method="bank")
    assert r.status_code == 201, r.content
    assert r.json()["paid"][0]["method"] == "bank" and r.json()["unpaid"] == []
    assert _owed(m2) == 0


@pytest.mark.parametrize(
    ("items", "status", "code"),
    [
        # more than m4 is owed: refused, even though m4 would be set aside
        (lambda p: [{"member_id": p["m1"].pk}, {"member_id": p["m4"].pk, "amount": "999.999.999"}], 400, "shu_payout_exceeds_share"),
        (lambda p: [{"member_id": p["m1"].pk}, {"member_id": p["m4"].pk}, {"member_id": p["m4"].pk}], 400, "shu_payout_invalid"),
        (lambda p: [{"member_id": p["m1"].pk}, {"member_id": 987654}], 400, "shu_payout_invalid"),
    ],
)  # fmt: skip
def test_api_still_refuses_an_invalid_batch_whole(posted, items, status, code):
    r = _post(posted["client"], items(posted))
    assert r.status_code == status, r.content
    assert r.json()["error"]["code"] == code
    _nothing_written()


def test_api_refuses_paying_twice_even_beside_a_set_aside_member(posted, staff):
    m1, m4 = posted["m1"], posted["m4"]
    shu_payout(year=YEAR, items=[(m1.pk, None)], method="sukarela", by=staff["bendahara"], on=ON)
    r = _post(posted["client"], [{"member_id": m4.pk}, {"member_id": m1.pk}])
    assert r.status_code == 409, r.content
    assert r.json()["error"]["code"] == "shu_already_paid"
    assert ShuPayout.objects.count() == 1


def test_openapi_documents_the_paid_and_unpaid_lists(posted):
    r = posted["client"].get("/api/schema/", HTTP_ACCEPT="application/json")
    schema = r.json()
    op = schema["paths"]["/api/v1/yearend/{year}/payout/"]["post"]
    components = schema["components"]["schemas"]
    for status in ("200", "201"):
        ref = op["responses"][status]["content"]["application/json"]["schema"]["$ref"]
        batch = components[ref.rsplit("/", 1)[-1]]
        assert set(batch["properties"]) == {"paid", "unpaid"}
    unpaid_ref = batch["properties"]["unpaid"]["items"]["$ref"]
    unpaid = components[unpaid_ref.rsplit("/", 1)[-1]]
    assert {"member_id", "number", "name", "amount", "code", "reason"} <= set(unpaid["properties"])


def test_year_page_names_each_set_aside_member_with_their_own_reason(posted, staff):
    """The screen tells the treasurer what to do for each member left unpaid, as the API
    does: the leaver is paid by cash or transfer, the active member needs a sukarela
    account first — not one sentence for both."""
    m1, m2, m4 = posted["m1"], posted["m2"], posted["m4"]
    c = posted["client"]
    data = {
        "action": "payout",
        "member": [str(m1.pk), str(m2.pk), str(m4.pk)],
        "method": "sukarela",
    }
    resp = c.post(f"/tutup-buku/{YEAR}/", data, follow=True)
    msgs = [(m.level_tag, str(m)) for m in resp.context["messages"]]
    assert msgs[0] == ("success", "SHU 1 anggota dibayar.")
    warnings = [text for level, text in msgs if level == "warning"]
    assert len(warnings) == 1, msgs
    lines = warnings[0]
    leaver = f"{m2}: Sudah keluar (Pensiun) dan tidak punya rekening simpanan sukarela"
    active = f"{m4}: Belum punya rekening simpanan sukarela yang aktif: bukakan rekening"
    assert leaver in lines and active in lines, lines
    assert ShuPayout.objects.get().share.member_id == m1.pk
