"""The recipient named at an SHU payout of a deceased member without heirs registered
(``received_by``: the screen's ``received_by_<member>``, the API's item field) is a name
on one line: a control character, a line break or a tab in it is refused by the payout
service, naming the field in Indonesian, and nothing is paid (core.common.text)."""

import copy
from datetime import date

import pytest

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.exits.services import exit_settlement_confirm
from core.yearend.models import MemberShare, ShuPayout
from core.yearend.services import shu_payout
from tests.members import factories as f
from tests.module_coop import module_uncommitted

from .conftest import YEAR, year_of
from .test_payout_heirs_and_rejoined import PAY, _client, _post

CONTROL = "Nama penerima tidak boleh berisi karakter kontrol (tak terlihat)."
ONE_LINE = "Nama penerima harus satu baris: tidak boleh berisi baris baru atau tab."


@pytest.fixture(scope="module")
def _deceased_once(django_db_setup, django_db_blocker, tmp_path_factory):
    """m2 died with no heir registered, the exit settlement paid to the member's name;
    the year's SHU posted (as ``deceased_without_heirs`` of the heirs' tests). Built once
    for the module in cooperative A, never committed (``module_uncommitted``): every test
    here refuses a payout on these same books, and each one's writes are rolled back on
    top of them."""

    def build():
        staff = {r: f.user(r) for r in ("admin", "ketua", "bendahara", "petugas", "pengawas")}
        year = year_of(staff)
        by, m2 = year["by"], year["m2"]
        exit_settlement_confirm(
            member=m2, reason="deceased", on=date(YEAR, 9, 30), by=by, payee="member"
        )
        _post(by)
        return year

    with module_uncommitted(django_db_blocker, tmp_path_factory, build) as year:
        yield year


@pytest.fixture
def deceased(_deceased_once, in_tenant_a):
    """The module's books (``_deceased_once``), their objects copied so that a test that
    changes one in memory leaves the next test's copy as built."""
    return copy.deepcopy(_deceased_once)


def _nothing_paid(m2):
    assert not ShuPayout.objects.exists()
    assert MemberShare.objects.get(member=m2).paid == 0
    assert not AuditEvent.objects.filter(action="yearend.shu.payout").exists()


@pytest.mark.parametrize(
    "bad,message",
    [
        ("Maria\x01Tingang", CONTROL),
        ("Maria Tingang\x1f(istri)", CONTROL),
        ("Maria\x0bTingang", CONTROL),
        ("Maria\x85Tingang", CONTROL),
        ("Maria\nTingang", ONE_LINE),
        ("Maria\tTingang", ONE_LINE),
    ],
)
def test_service_refuses_a_control_character_in_the_recipient(deceased, bad, message):
    by, m2 = deceased["by"], deceased["m2"]
    with pytest.raises(ApplicationError) as e:
        shu_payout(
            year=YEAR, items=[(m2.pk, None)], method="cash", by=by, on=PAY, received_by={m2.pk: bad}
        )
    assert e.value.code == "validation_error"
    assert e.value.fields == {"received_by": [message]}
    _nothing_paid(m2)


def test_year_page_refuses_a_control_character_in_the_recipient(deceased):
    by, m2 = deceased["by"], deceased["m2"]
    r = _client(by).post(
        f"/tutup-buku/{YEAR}/",
        {
            "action": "payout",
            "member": [m2.pk],
            "method": "cash",
            f"received_by_{m2.pk}": "Yohanes\x1bTingang (anak)",
        },
        follow=True,
    )
    assert r.status_code == 200
    assert CONTROL in r.content.decode()
    _nothing_paid(m2)


def test_api_payout_refuses_a_control_character_in_the_recipient(deceased):
    by, m2 = deceased["by"], deceased["m2"]
    body = {
        "method": "bank",
        "on": PAY.isoformat(),
        "items": [{"member_id": m2.pk, "received_by": "Maria\x01Tingang (istri)"}],
    }
    r = _client(by).post(f"/api/v1/yearend/{YEAR}/payout/", body, "application/json")
    assert r.status_code == 400, r.content
    error = r.json()["error"]
    assert error["code"] == "validation_error"
    assert error["fields"]["items"]["0"]["received_by"] == [CONTROL]
    _nothing_paid(m2)
