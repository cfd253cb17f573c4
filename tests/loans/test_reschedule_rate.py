"""The new rate of a rescheduling as people type it: ``1,5`` (the app shows rates as
"1,5%"), ``1.5`` or ``1,5%``; 0 to 100 percent like a loan brought in at a move-in; at
most the four decimals the rate column keeps (more is refused, not rounded). A rate the
column cannot hold (1500) or no number at all is a specific error through the service,
the API (400 JSON) and the screen, never a 500, and nothing changes."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.test import Client

from core.common.errors import ApplicationError
from core.loans.models import Loan, Reschedule
from core.loans.services import loan_reschedule
from tests.loans.test_restructuring import _bad_loan
from tests.module_coop import module_uncommitted


@pytest.fixture(scope="module")
def _shared(django_db_setup, django_db_blocker, tmp_path_factory):
    """The loan in arrears every test reschedules, with its staff: built once for the
    module in cooperative A, never committed (``module_uncommitted``); each test's
    rescheduling is rolled back after it."""
    from django.utils import timezone

    from tests.loans.conftest import product_with_every_fee
    from tests.members import factories as f

    def build():
        staff = {r: f.user(r) for r in ("admin", "ketua", "bendahara", "petugas", "pengawas")}
        member = f.member(take_home_pay=D("15000000"), email="anggota@x.test")
        on = timezone.localdate() - timedelta(days=5)
        loan = _bad_loan(staff, member, product_with_every_fee(), on)
        return loan.pk, {r: u.pk for r, u in staff.items()}

    with module_uncommitted(django_db_blocker, tmp_path_factory, build) as shared:
        yield shared


@pytest.fixture
def staff(_shared, in_tenant_a):
    from core.users.models import User

    return {r: User.objects.get(pk=pk) for r, pk in _shared[1].items()}


@pytest.fixture
def loan(_shared, in_tenant_a):
    return Loan.objects.get(pk=_shared[0])


def _unchanged(loan) -> bool:
    fresh = Loan.objects.get(pk=loan.pk)
    return (
        fresh.schedule_version == 1
        and fresh.rate == D("1")
        and not Reschedule.objects.filter(loan=loan).exists()
    )


def _reschedule(loan, staff, today, rate):
    return loan_reschedule(
        loan=loan,
        by=staff["ketua"],
        tenor=12,
        reason="Gaji turun",
        on=today - timedelta(days=5),
        rate=rate,
    )


@pytest.mark.parametrize(
    "typed,rate",
    [("1,5", D("1.5")), ("1.5", D("1.5")), ("1,5%", D("1.5")), (" 0,75 ", D("0.75")), ("0", 0)],
)
def test_reschedule_rate_as_people_type_it(loan, staff, today, typed, rate):
    rs = _reschedule(loan, staff, today, typed)
    loan.refresh_from_db()
    assert rs.new_rate == loan.rate == rate


@pytest.mark.parametrize(
    "typed,words",
    [
        ("1500", "Jasa baru harus antara 0 dan 100 persen."),
        ("100,5", "Jasa baru harus antara 0 dan 100 persen."),
        ("-1", "Jasa baru harus antara 0 dan 100 persen."),
        ("1,23456", "Jasa baru paling banyak 4 angka di belakang koma: 1,23456"),
        ("NaN", "Jasa baru tidak valid: NaN"),
        ("sNaN", "Jasa baru tidak valid: sNaN"),
        ("1e1000000000", "Jasa baru tidak valid: 1e1000000000"),
        ("1.234,5", "Jasa baru tidak valid: 1.234,5"),
        ("satu", "Jasa baru tidak valid: satu"),
    ],
)
def test_reschedule_rate_refused_with_a_specific_message(loan, staff, today, typed, words):
    with pytest.raises(ApplicationError) as e:
        _reschedule(loan, staff, today, typed)
    assert e.value.code == "loan_invalid"
    assert e.value.message == words and e.value.fields == {"rate": [words]}
    assert _unchanged(loan)


def test_reschedule_api_rate_too_large_is_a_400_not_a_500(loan, staff, today):
    c = Client(HTTP_HOST="alpha.localhost", raise_request_exception=False)
    c.force_login(staff["ketua"])
    body = {"tenor": 12, "reason": "Gaji turun", "on": (today - timedelta(days=5)).isoformat()}
    r = c.post(f"/api/v1/loans/{loan.pk}/reschedule/", {**body, "rate": "1500"}, "application/json")
    assert r.status_code == 400, (r.status_code, r.content[:300])
    err = r.json()["error"]
    assert err["code"] == "loan_invalid"
    assert err["fields"] == {"rate": ["Jasa baru harus antara 0 dan 100 persen."]}
    assert _unchanged(loan)
    r = c.post(f"/api/v1/loans/{loan.pk}/reschedule/", {**body, "rate": "1,5"}, "application/json")
    assert r.status_code == 200, r.content
    assert Loan.objects.get(pk=loan.pk).rate == D("1.5")


def test_reschedule_screen_rate_too_large_shows_the_message(loan, staff, today, client_a):
    client_a.force_login(staff["ketua"])
    client_a.raise_request_exception = False
    r = client_a.post(
        f"/pinjaman/{loan.pk}/reschedule/",
        {
            "tenor": "12",
            "reason": "Gaji turun",
            "on": (today - timedelta(days=5)).isoformat(),
            "rate": "1500",
        },
        follow=True,
    )
    assert r.status_code == 200
    assert "Jasa baru harus antara 0 dan 100 persen." in r.content.decode()
    assert _unchanged(loan)
