"""Payouts after a member has left: the year page shows a deceased member's heir split;
a deceased member with no heirs registered (none can be added once they left) is paid
only to a recipient named at the payout; an earlier membership's SHU of a person who
joined again can be credited to the sukarela account of their current membership."""

import copy
import io
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from pypdf import PdfReader

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.common.money import format_rupiah
from core.exits.services import exit_settlement_confirm
from core.ledger.models import JournalLine
from core.ledger.selectors import account_for_role
from core.members.services import heir_add, member_create
from core.savings.models import SavingsAccount
from core.yearend.models import MemberShare, ShuPayout
from core.yearend.services import shu_payout, shu_post, yearend_close
from tests.members import factories as f

from .conftest import YEAR, _deposit, close_preliminaries


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
PAY = date(YEAR + 1, 3, 5)


def _pdf_text(content: bytes) -> str:
    return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)


def _post(by):
    close_preliminaries(by)
    yearend_close(year=YEAR, by=by)
    shu_post(year=YEAR, rat_date=RAT, rat_decision="03/RAT", by=by)


def _client(by):
    c = Client(HTTP_HOST="alpha.localhost")
    c.force_login(by)
    return c


def test_year_page_shows_the_heirs_split_of_a_deceased_members_payout(year_data, staff):
    by, m2 = year_data["by"], year_data["m2"]
    heir_add(member=m2, by=by, full_name="Maria Tingang", relationship="istri", share_percent=60)
    heir_add(member=m2, by=by, full_name="Yohanes Tingang", relationship="anak", share_percent=40)
    exit_settlement_confirm(member=m2, reason="deceased", on=date(YEAR, 9, 30), by=by)
    _post(by)
    [payout] = shu_payout(year=YEAR, items=[(m2.pk, None)], method="cash", by=by, on=PAY)
    page = _client(by).get(f"/tutup-buku/{YEAR}/").content.decode()
    listed = page.split(f'id="heirs-{payout.pk}"')[1].split("</ul>")[0]
    for h in payout.heirs:
        assert h["name"] in listed and f"{h['share_percent']}%" in listed
        assert format_rupiah(D(h["amount"])) in listed
    assert "istri" in listed and "anak" in listed


@pytest.fixture
def deceased_without_heirs(year_data, staff):
    """m2 died on 30 September with no heir registered; the exit settlement was paid, by
    the treasurer's explicit choice, to the member's name."""
    by, m2 = year_data["by"], year_data["m2"]
    exit_settlement_confirm(
        member=m2, reason="deceased", on=date(YEAR, 9, 30), by=by, payee="member"
    )
    _post(by)
    return year_data


def test_deceased_member_without_heirs_is_refused_until_the_recipient_is_named(
    deceased_without_heirs,
):
    by, m2 = deceased_without_heirs["by"], deceased_without_heirs["m2"]
    share = MemberShare.objects.get(member=m2)
    assert share.total > 0
    with pytest.raises(ApplicationError) as e:
        shu_payout(year=YEAR, items=[(m2.pk, None)], method="cash", by=by, on=PAY)
    assert e.value.code == "shu_payout_no_heirs"
    assert "surat keterangan ahli waris" in e.value.message
    assert e.value.fields == {"received_by": [str(m2.pk)]}
    share.refresh_from_db()
    assert share.paid == 0 and not ShuPayout.objects.exists()
    # blank is no name
    with pytest.raises(ApplicationError):
        shu_payout(
            year=YEAR, items=[(m2.pk, None)], method="cash", by=by, on=PAY, received_by={m2.pk: " "}
        )
    [payout] = shu_payout(
        year=YEAR,
        items=[(m2.pk, None)],
        method="cash",
        by=by,
        on=PAY,
        received_by={m2.pk: "Maria  Tingang (istri)"},
    )
    assert payout.heirs == [
        {
            "name": "Maria Tingang (istri)",
            "relationship": "",
            "share_percent": "100",
            "amount": str(share.total),
            "named_at_payout": True,
        }
    ]
    audit = AuditEvent.objects.filter(action="yearend.shu.payout").latest("pk")
    assert audit.data["recipient_named_at_payout"] == {str(m2.pk): "Maria Tingang (istri)"}
    c = _client(by)
    text = _pdf_text(c.get(f"/tutup-buku/kuitansi/{payout.pk}.pdf").content)
    assert "Maria Tingang (istri)" in text and "tanpa ahli waris terdaftar" in text
    page = c.get(f"/tutup-buku/{YEAR}/").content.decode()
    assert "diterima oleh Maria Tingang (istri)" in page.split(f'id="heirs-{payout.pk}"')[1]


def test_year_page_asks_the_recipient_and_pays_with_it(deceased_without_heirs):
    by, m2 = deceased_without_heirs["by"], deceased_without_heirs["m2"]
    c = _client(by)
    page = c.get(f"/tutup-buku/{YEAR}/").content.decode()
    assert f'name="received_by_{m2.pk}"' in page
    r = c.post(
        f"/tutup-buku/{YEAR}/",
        {"action": "payout", "member": [m2.pk], "method": "cash"},
        follow=True,
    )
    assert "tidak punya ahli waris terdaftar" in r.content.decode()
    assert not ShuPayout.objects.exists()
    c.post(
        f"/tutup-buku/{YEAR}/",
        {
            "action": "payout",
            "member": [m2.pk],
            "method": "cash",
            f"received_by_{m2.pk}": "Yohanes Tingang (anak)",
        },
    )
    payout = ShuPayout.objects.get(share__member=m2)
    assert payout.heirs[0]["name"] == "Yohanes Tingang (anak)"
    assert payout.amount == MemberShare.objects.get(member=m2).total


def test_api_payout_takes_the_recipient(deceased_without_heirs):
    by, m2 = deceased_without_heirs["by"], deceased_without_heirs["m2"]
    c = _client(by)
    url = f"/api/v1/yearend/{YEAR}/payout/"
    body = {"method": "bank", "on": PAY.isoformat(), "items": [{"member_id": m2.pk}]}
    r = c.post(url, body, "application/json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "shu_payout_no_heirs"
    body["items"][0]["received_by"] = "Maria Tingang (istri)"
    r = c.post(url, body, "application/json")
    assert r.status_code == 201, r.content
    assert r.json()["paid"][0]["heirs"][0]["name"] == "Maria Tingang (istri)"


@pytest.fixture
def rejoined(year_data, staff):
    """m2 resigned on 30 September and joined again on 15 October (new membership with
    pokok and a sukarela account); the SHU of both memberships posted."""
    by, m2 = year_data["by"], year_data["m2"]
    # left with the savings still on the books (data from before the database refused it)
    f.left_outside_exit(m2, status="resigned", on=date(YEAR, 9, 30))
    again = member_create(
        by="tests",
        full_name=m2.full_name,
        nip=m2.nip,
        nik=m2.nik,
        agency=m2.agency,
        join_date=date(YEAR, 10, 15),
    )
    _deposit(again, "pokok", "100000", date(YEAR, 10, 15), by)
    _deposit(again, "sukarela", "50000", date(YEAR, 10, 15), by)
    _post(by)
    return {**year_data, "again": again}


def test_earlier_memberships_shu_credited_to_the_current_memberships_sukarela(rejoined):
    by, m2, again = rejoined["by"], rejoined["m2"], rejoined["again"]
    old = MemberShare.objects.get(member=m2)
    assert old.total > 0
    # the old membership has left: no deposit lands on it (its sukarela account included)
    m2.refresh_from_db()
    assert not m2.is_active
    acc = SavingsAccount.objects.get(member=again, product__kind="sukarela")
    before = acc.balance
    [payout] = shu_payout(year=YEAR, items=[(m2.pk, None)], method="sukarela", by=by, on=PAY)
    acc.refresh_from_db()
    old.refresh_from_db()
    assert acc.balance == before + old.total
    assert old.paid == old.total and payout.credited_account_id == acc.pk
    # the ledger: SHU payable debited on the old membership, sukarela credited
    payable = account_for_role("shu_members_payable")
    line = JournalLine.objects.get(entry=payout.entry, account=payable)
    assert (line.member_id, line.debit) == (m2.pk, old.total)
    audit = AuditEvent.objects.filter(action="yearend.shu.payout").latest("pk")
    assert audit.data["credited_to_later_membership"] == {str(m2.pk): again.pk}
    c = _client(by)
    text = _pdf_text(c.get(f"/tutup-buku/kuitansi/{payout.pk}.pdf").content)
    assert acc.number in text and again.number in text
    page = c.get(f"/tutup-buku/{YEAR}/").content.decode()
    assert f"keanggotaan sekarang No. {again.number}" in page


def test_pay_the_selected_credits_the_earlier_membership_instead_of_setting_it_aside(rejoined):
    by, m2, again = rejoined["by"], rejoined["m2"], rejoined["again"]
    r = _client(by).post(
        f"/api/v1/yearend/{YEAR}/payout/",
        {
            "method": "sukarela",
            "on": PAY.isoformat(),
            "items": [{"member_id": m2.pk}, {"member_id": again.pk}],
        },
        "application/json",
    )
    assert r.status_code == 201, r.content
    data = r.json()
    assert data["unpaid"] == []
    acc = SavingsAccount.objects.get(member=again, product__kind="sukarela")
    assert {p["member_id"]: p["credited_account"] for p in data["paid"]} == {
        m2.pk: acc.number,
        again.pk: acc.number,
    }
    assert MemberShare.objects.get(member=m2).unpaid == 0
