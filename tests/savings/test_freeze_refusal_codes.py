"""Each refusal of a freeze or an unfreeze carries its own code: unfreezing an account
that is not frozen is ``savings_account_not_frozen`` (it was ``savings_reason_required``,
as if a reason were missing), freezing a frozen one ``savings_account_frozen``; nothing
changes and nothing is audited."""

from decimal import Decimal

import pytest
from django.test import Client

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.savings.models import SavingsAccount
from core.savings.services import (
    savings_account_freeze,
    savings_account_open,
    savings_account_unfreeze,
    teller_deposit,
)
from tests.members import factories as f


@pytest.fixture
def bendahara(in_tenant_a):
    return f.user("bendahara")


@pytest.fixture
def sukarela(products, member_a, teller, today):
    acc = savings_account_open(member=member_a, product=products["sukarela"], on=today)
    teller_deposit(account=acc, amount=Decimal("500000"), channel="cash", on=today, by=teller)
    acc.refresh_from_db()
    return acc


@pytest.fixture
def client_for(tenant_a):
    from tenants.services import tenant_host

    def make(user) -> Client:
        c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
        c.force_login(user)
        return c

    return make


def _audits(account) -> int:
    return AuditEvent.objects.filter(target_id=str(account.pk)).count()


def test_unfreezing_an_account_not_frozen_has_its_own_code(sukarela, bendahara):
    before = _audits(sukarela)
    with pytest.raises(ApplicationError) as e:
        savings_account_unfreeze(account=sukarela, reason="selesai", by=bendahara)
    assert e.value.code == "savings_account_not_frozen"
    assert e.value.status_code == 409
    assert str(e.value.message) == f"Rekening {sukarela.number} tidak diblokir."
    sukarela.refresh_from_db()
    assert sukarela.frozen_at is None
    assert _audits(sukarela) == before


def test_freezing_a_frozen_account_keeps_its_own_code(sukarela, bendahara):
    savings_account_freeze(account=sukarela, reason="jaminan", by=bendahara)
    before = _audits(sukarela)
    with pytest.raises(ApplicationError) as e:
        savings_account_freeze(account=sukarela, reason="lagi", by=bendahara)
    assert e.value.code == "savings_account_frozen"
    assert e.value.status_code == 409
    sukarela.refresh_from_db()
    assert sukarela.frozen_reason == "jaminan"
    assert _audits(sukarela) == before


def test_api_unfreeze_of_an_account_not_frozen_answers_its_own_code(
    sukarela, bendahara, client_for
):
    c = client_for(bendahara)
    base = f"/api/v1/savings/accounts/{sukarela.pk}"
    r = c.post(f"{base}/unfreeze/", {"reason": "selesai"}, content_type="application/json")
    assert r.status_code == 409
    err = r.json()["error"]
    assert err["code"] == "savings_account_not_frozen"
    assert err["message"] == f"Rekening {sukarela.number} tidak diblokir."
    assert SavingsAccount.objects.get(pk=sukarela.pk).frozen_at is None


def test_api_freeze_of_a_frozen_account_answers_its_own_code(sukarela, bendahara, client_for):
    c = client_for(bendahara)
    base = f"/api/v1/savings/accounts/{sukarela.pk}"
    assert c.post(f"{base}/freeze/", {"reason": "jaminan"}, content_type="application/json")
    r = c.post(f"{base}/freeze/", {"reason": "lagi"}, content_type="application/json")
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "savings_account_frozen"
    assert SavingsAccount.objects.get(pk=sukarela.pk).frozen_reason == "jaminan"


def test_unfreeze_reason_from_the_screen_with_a_control_character_is_refused(sukarela, bendahara):
    savings_account_freeze(account=sukarela, reason="jaminan", by=bendahara)
    with pytest.raises(ApplicationError) as e:
        savings_account_unfreeze(account=sukarela, reason="lunas\x01", by=bendahara)
    assert e.value.code == "validation_error"
    assert e.value.fields == {
        "reason": ["Alasan tidak boleh berisi karakter kontrol (tak terlihat)."]
    }
    sukarela.refresh_from_db()
    assert sukarela.frozen_at is not None
