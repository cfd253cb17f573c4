"""The SHU of a member who left during the year through the exit settlement (pro rata:
the capital held before the exit × the days of the year before it ÷ the days of the
year; the setting *excluded*: no share) and of a member with no activity in the year (no
capital, no jasa: listed with Rp 0, not an error), through the API and the page; the
shares still sum to each pool."""

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from core.exits.services import exit_settlement_confirm, exit_settlement_preview
from core.yearend.services import shu_settings_set, yearend_close
from tenants.services import tenant_host
from tests.members import factories as f

from .conftest import YEAR, _deposit, close_preliminaries

D = Decimal
EXIT = date(YEAR, 7, 1)  # 181 days of 365 before it


@pytest.fixture
def leaver_and_idle(year_data, staff):
    by = staff["bendahara"]
    leaver = f.member(full_name="Keluar")
    _deposit(leaver, "pokok", "100000", date(YEAR, 1, 10), by)
    _deposit(leaver, "wajib", "3550000", date(YEAR, 1, 10), by)
    p = exit_settlement_preview(member=leaver, on=EXIT)
    exit_settlement_confirm(
        member=leaver, reason="resigned", on=EXIT, by=by, expected_net=p.net_payable
    )
    idle = f.member(full_name="Diam")  # joined, never saved nor borrowed
    return year_data | {"leaver": leaver, "idle": idle, "by": by}


def _close(by):
    close_preliminaries(by)
    yearend_close(year=YEAR, by=by)


def _preview(tenant, user) -> dict:
    c = Client(HTTP_HOST=tenant_host(tenant.slug))
    c.force_login(user)
    r = c.get(f"/api/v1/yearend/{YEAR}/preview/")
    assert r.status_code == 200, r.content
    return r.json()


def test_leaver_through_the_exit_gets_a_pro_rata_share_and_an_idle_member_zero(
    tenant_a, leaver_and_idle, staff
):
    _close(leaver_and_idle["by"])
    body = _preview(tenant_a, staff["bendahara"])
    rows = {m["member_id"]: m for m in body["members"]}
    leaver, idle = rows[leaver_and_idle["leaver"].pk], rows[leaver_and_idle["idle"].pk]
    # 3,650,000 × 181 / 365: the exit's own payout (dated the exit) is not counted
    assert D(leaver["capital"]) == D("1810000")
    assert D(leaver["jma"]) > 0 and D(leaver["jua"]) == 0
    assert [D(idle[k]) for k in ("capital", "contribution", "jma", "jua", "total")] == [0] * 5
    funds = {k: D(v) for k, v in body["funds"].items()}
    assert sum(D(m["jma"]) for m in body["members"]) == funds["jasa_modal"]
    assert sum(D(m["jua"]) for m in body["members"]) == funds["jasa_anggota"]
    assert sum(funds.values()) == D(body["shu_after_tax"])
    # the page lists the idle member with Rp 0, no error
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(staff["bendahara"])
    page = c.get(f"/tutup-buku/{YEAR}/pratinjau/")
    assert page.status_code == 200
    assert leaver_and_idle["idle"].number in page.content.decode()


def test_leaver_gets_nothing_when_the_settings_exclude_leavers(tenant_a, leaver_and_idle, staff):
    by = leaver_and_idle["by"]
    shu_settings_set(year=YEAR, by=by, leavers="excluded")
    _close(by)
    body = _preview(tenant_a, staff["bendahara"])
    ids = {m["member_id"] for m in body["members"]}
    assert leaver_and_idle["leaver"].pk not in ids
    assert leaver_and_idle["idle"].pk in ids
    funds = {k: D(v) for k, v in body["funds"].items()}
    assert sum(D(m["jma"]) for m in body["members"]) == funds["jasa_modal"]
