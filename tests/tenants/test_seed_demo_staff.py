"""The demo's staff logins are staff like any login made with a staff role
(``user_create``): the README's walk as the demo's bendahara opened /api/docs/ ("the
browsable docs ... logged-in staff") and got 403, since ``seed_demo`` made ketua,
bendahara, petugas and pengawas without ``is_staff``; only the admin (made by
``cooperative_create``) had it."""

import pytest
from django.test import Client

from core.users.models import User
from tenants.management.commands.seed_demo import DEMO_STAFF, demo_staff_ensure


@pytest.mark.django_db
def test_every_demo_staff_login_opens_the_api_docs(tenant_a, in_tenant_a):
    from tenants.services import tenant_host

    demo_staff_ensure()
    for email, _name, role in DEMO_STAFF:
        user = User.objects.get(username=email)
        assert (user.role, user.is_staff) == (role, True)
        c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
        c.force_login(user)
        assert c.get("/api/docs/").status_code == 200, role


@pytest.mark.django_db
def test_seeding_again_makes_an_earlier_demos_staff_logins_staff(tenant_a, in_tenant_a):
    demo_staff_ensure()
    User.objects.filter(username__in=[e for e, _n, _r in DEMO_STAFF]).update(is_staff=False)
    demo_staff_ensure()
    assert set(
        User.objects.filter(username__in=[e for e, _n, _r in DEMO_STAFF]).values_list(
            "is_staff", flat=True
        )
    ) == {True}
