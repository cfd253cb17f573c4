"""Overview test set-up: the deductions tests' small cooperative (two agencies, four
members, two running loans) and logged-in clients."""

from datetime import date

import pytest
from django.test import Client

from tests.deductions.conftest import coop_build


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def coop(in_tenant_a):
    from django.utils import timezone

    from core.loans.schedules import add_months

    t = timezone.localdate()
    day = min(t.day, 28)
    this = date(t.year, t.month, day)
    return coop_build(day, (add_months(this, -1), this)) | {"this": this}


@pytest.fixture
def client_for(tenant_a):
    from tenants.services import tenant_host

    def make(user) -> Client:
        c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
        c.force_login(user)
        return c

    return make
