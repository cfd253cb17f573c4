"""A suspended cooperative (read-only until it pays) can still withdraw its consent to
share figures with its Dinas, and the withdrawal reaches the public side: the refresh
runs for it too, and deletes its figures."""

import pytest
from django.db import connection

from core.sharing.models import DinasConsent
from lumbung.dinas.models import Indicator, SharingState
from lumbung.dinas.refresh import cooperatives_to_refresh
from tests.members.factories import user as make_user

from .conftest import refresh, verified_client

pytestmark = pytest.mark.django_db


def _suspend(coop):
    from billing.models import Subscription
    from billing.services import subscription_status_override

    connection.set_schema_to_public()
    subscription_status_override(
        subscription=Subscription.objects.get(cooperative=coop),
        status=Subscription.Status.SUSPENDED,
        operator="tests",
        reason="tagihan belum dibayar",
    )
    coop.refresh_from_db()


def test_a_suspended_cooperative_withdraws_its_consent_and_the_dinas_loses_its_figures(
    shared_both, pembina_prov, client_a
):
    a, b = shared_both
    _suspend(a)
    connection.set_tenant(a)
    client_a.force_login(make_user("admin"))
    resp = client_a.post("/pengaturan/dinas/", {})
    connection.set_tenant(a)
    assert resp.status_code == 302
    assert DinasConsent.get().share_indicators is False
    # other writes stay refused while suspended
    assert client_a.post("/anggota/baru/", {}).status_code == 403
    connection.set_schema_to_public()

    assert a.pk in cooperatives_to_refresh()
    refresh(a)
    assert SharingState.objects.get(cooperative=a).shared is False
    assert not Indicator.objects.filter(cooperative=a).exists()
    body = verified_client(pembina_prov.user).get("/dinas/").content.decode()
    assert a.name not in body and b.name in body
