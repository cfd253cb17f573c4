"""The console's cooperative page as an operator uses it: found by its legal number,
offered only the status actions that apply to its status, and a refusal the operator
sees speaks of the operator's role (the 403 page told operators to ask "the
cooperative's admin", and linked to the public home)."""

import re

from django.utils import timezone

from billing.models import Subscription
from lumbung.console import services
from tenants.models import Cooperative


def _actions(html: str) -> list[str]:
    block = re.search(r'<div class="actions">(.*?)</div>', html, re.S).group(1)
    return re.findall(r">([^<>]+)</a>", block)


def test_search_finds_a_cooperative_by_its_legal_number(op_clients, tenant_a, tenant_b):
    Cooperative.objects.filter(pk=tenant_a.pk).update(legal_number="518/BH/XVIII.4/2019")
    Cooperative.objects.filter(pk=tenant_b.pk).update(legal_number="77/BH/XII/2021")
    html = op_clients["support"].get("/konsol/koperasi/", {"q": "518/bh/xviii"}).content.decode()
    assert f"/konsol/koperasi/{tenant_a.pk}/" in html
    assert f"/konsol/koperasi/{tenant_b.pk}/" not in html


def test_suspend_and_reactivate_are_offered_only_when_they_apply(op_clients, operators, tenant_a):
    client = op_clients["admin"]
    page = f"/konsol/koperasi/{tenant_a.pk}/"
    on_trial = _actions(client.get(page).content.decode())
    assert "Tangguhkan" in on_trial and "Arsipkan" in on_trial
    assert "Aktifkan kembali" not in on_trial

    services.tenant_suspend(operator=operators["admin"], cooperative=tenant_a, reason="Uji")
    suspended = _actions(client.get(page).content.decode())
    assert "Aktifkan kembali" in suspended and "Arsipkan" in suspended
    assert "Tangguhkan" not in suspended

    services.tenant_archive(operator=operators["admin"], cooperative=tenant_a, reason="Uji")
    archived = _actions(client.get(page).content.decode())
    assert "Aktifkan kembali" in archived
    assert "Tangguhkan" not in archived and "Arsipkan" not in archived


def test_a_cooperative_the_sweep_suspended_may_still_be_suspended_by_an_operator(
    op_clients, tenant_a
):
    Subscription.objects.filter(cooperative=tenant_a).update(
        status="suspended",
        suspended_by_operator=False,
        past_due_since=timezone.now(),
        suspended_since=timezone.now(),
    )
    actions = _actions(op_clients["admin"].get(f"/konsol/koperasi/{tenant_a.pk}/").content.decode())
    assert "Tangguhkan" in actions and "Aktifkan kembali" in actions


def test_an_operator_refused_an_action_is_told_in_operator_words(op_clients, tenant_a):
    response = op_clients["support"].get(f"/konsol/koperasi/{tenant_a.pk}/suspend/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "admin koperasi" not in html
    assert "Peran operator Anda (Support)" in html
    assert 'href="/konsol/"' in html


def test_plan_change_and_trial_extension_are_not_offered_where_they_are_refused(
    op_clients, operators, tenant_a
):
    """Seen walking the console: an archived cooperative was offered *Ganti paket* (refused:
    "Langganan sudah diarsipkan.") and *Perpanjang uji coba* (refused for any status but
    trial or past due, or once something was paid)."""
    client = op_clients["admin"]
    page = f"/konsol/koperasi/{tenant_a.pk}/"
    on_trial = _actions(client.get(page).content.decode())
    assert "Ganti paket" in on_trial and "Perpanjang uji coba" in on_trial
    services.tenant_archive(operator=operators["admin"], cooperative=tenant_a, reason="Uji")
    archived = _actions(client.get(page).content.decode())
    assert "Ganti paket" not in archived and "Perpanjang uji coba" not in archived
