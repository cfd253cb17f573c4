"""The support look-in's user (``lumbung-support:<operator>``, role pengawas) is not a
person of the cooperative: it is deactivated when the session ends or expires (also when
the browser was simply closed: the periodic sweep), and it is never counted as staff —
not in the plan's seats, the ministry's *Jumlah Karyawan*, the console's staff count and
*Aktivitas staf*, nor copied into a practice copy."""

import time
from datetime import date, timedelta
from urllib.parse import urlparse

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from billing.models import Subscription
from core.common.errors import ApplicationError
from core.users import services as users
from core.users.models import SUPPORT_USERNAME_PREFIX, User
from lumbung.console.models import SupportSession
from lumbung.console.support import SESSION_KEY
from tenants.services import tenant_host
from tests.console.conftest import make_operator, verified_client
from tests.link_button import press

pytestmark = pytest.mark.django_db


def _enter(tenant) -> Client:
    op = make_operator("support", f"support-{time.monotonic_ns()}@ops.lumbung.test")
    resp = verified_client(op).post(
        f"/konsol/koperasi/{tenant.pk}/support/",
        {"reason": "Tiket #1", "confirm": "on", "minutes": 30},
    )
    assert resp.status_code == 302
    coop = Client(HTTP_HOST=tenant_host(tenant.slug))
    assert press(coop, urlparse(resp.url).path).status_code == 302
    connection.set_schema_to_public()
    return coop


def _look_in(tenant) -> None:
    _enter(tenant).post("/dukungan/akhiri/")
    connection.set_schema_to_public()


def _support_users(tenant) -> list[User]:
    with schema_context(tenant.schema_name):
        return list(User.objects.filter(username__startswith=SUPPORT_USERNAME_PREFIX))


def test_the_support_user_is_active_during_the_session_only(tenant_a):
    coop = _enter(tenant_a)
    [user] = _support_users(tenant_a)
    assert user.is_active
    coop.post("/dukungan/akhiri/")
    connection.set_schema_to_public()
    [user] = _support_users(tenant_a)
    assert not user.is_active


def test_the_support_user_is_deactivated_at_the_expiry(tenant_a):
    coop = _enter(tenant_a)
    with schema_context(tenant_a.schema_name):
        session = coop.session
        flag = session[SESSION_KEY]
        flag["exp"] = int(time.time()) - 1
        session[SESSION_KEY] = flag
        session.save()
    assert coop.get("/").status_code == 302
    connection.set_schema_to_public()
    [user] = _support_users(tenant_a)
    assert not user.is_active


def test_a_session_left_open_is_closed_by_the_sweep(tenant_a):
    from lumbung.console.support import support_sessions_expire

    _enter(tenant_a)  # the browser is closed: no further request ever comes
    session = SupportSession.objects.get(cooperative=tenant_a)
    assert support_sessions_expire(now=timezone.now()) == 0  # not expired yet
    later = session.expires_at + timedelta(seconds=1)
    assert support_sessions_expire(now=later) == 1
    session.refresh_from_db()
    assert session.ended_at is not None
    [user] = _support_users(tenant_a)
    assert not user.is_active
    assert support_sessions_expire(now=later) == 0


def test_a_support_look_in_takes_no_plan_seat(tenant_a):
    sub = Subscription.objects.get(cooperative=tenant_a)
    assert sub.plan.limits["staff_users"] == 3
    connection.set_tenant(tenant_a)
    admin = User.objects.get(username="admin@alpha.test")
    users.user_create(
        by=admin,
        email="staf2@alpha.test",
        full_name="Staf 2",
        role="petugas",
        password="Kuat-Sekali-99",
    )
    connection.set_schema_to_public()
    coop = _enter(tenant_a)  # even while the session is open
    connection.set_tenant(tenant_a)
    try:
        users.user_create(
            by=admin,
            email="staf3@alpha.test",
            full_name="Staf 3",
            role="petugas",
            password="Kuat-Sekali-99",
        )
    except ApplicationError as exc:
        pytest.fail(f"third staff refused during a support look-in: {exc.message}")
    with pytest.raises(ApplicationError, match="3 pengguna pengurus dan koperasi sudah memiliki 3"):
        users.user_create(
            by=admin,
            email="staf4@alpha.test",
            full_name="Staf 4",
            role="petugas",
            password="Kuat-Sekali-99",
        )
    connection.set_schema_to_public()
    coop.post("/dukungan/akhiri/")


def test_a_support_look_in_is_not_a_cooperative_employee_in_the_ministry_figures(tenant_a):
    from core.sharing.selectors import year_figures

    today = date.today()
    with schema_context(tenant_a.schema_name):
        before = year_figures(year=today.year, today=today)["staff"]
    coop = _enter(tenant_a)
    with schema_context(tenant_a.schema_name):
        assert year_figures(year=today.year, today=today)["staff"] == before == 1
    coop.post("/dukungan/akhiri/")


def test_a_support_look_in_is_not_staff_activity_in_the_console(tenant_a):
    from lumbung.console.stats import stats_refresh_one

    before = stats_refresh_one(cooperative=tenant_a)
    started = timezone.now()
    coop = _enter(tenant_a)
    during = stats_refresh_one(cooperative=tenant_a)
    coop.post("/dukungan/akhiri/")
    connection.set_schema_to_public()
    after = stats_refresh_one(cooperative=tenant_a)
    for stats in (during, after):
        assert stats.staff_users == before.staff_users == 1
        assert stats.last_staff_activity is None or stats.last_staff_activity < started


def test_a_support_user_is_not_copied_into_a_practice_copy(tenant_a):
    from tenants.practice import _staff_of

    _enter(tenant_a)
    names = [values["username"] for values, _devices in _staff_of(tenant_a.schema_name)]
    assert names == ["admin@alpha.test"]
