"""Suspended cooperatives are read-only (HTML and API); past_due only shows a banner."""

from django.utils import timezone

from billing.models import Invoice, Plan, Subscription
from tenants.models import Cooperative
from tests.webapp.conftest import _own_cache_keys  # noqa: F401  (reset limits per test)


def _set(tenant, status):
    now = timezone.now()
    Subscription.objects.filter(cooperative=tenant).update(
        status=status, past_due_since=now, suspended_since=now
    )
    Cooperative.objects.filter(pk=tenant.pk).update(status=status)


def test_suspended_refuses_html_writes_with_message_and_pay_link(admin_client_a, tenant_a):
    _set(tenant_a, "suspended")
    response = admin_client_a.post("/anggota/", {"full_name": "Siapa Saja"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "ditangguhkan" in body and "hanya dapat dilihat" in body
    assert 'href="/langganan/"' in body


def test_suspended_refuses_api_writes_with_the_error_shape(admin_client_a, tenant_a):
    _set(tenant_a, "suspended")
    for method in ("post", "put", "patch", "delete"):
        response = getattr(admin_client_a, method)(
            "/api/v1/me/", data={}, content_type="application/json"
        )
        assert response.status_code == 403
        error = response.json()["error"]
        assert error["code"] == "tenant_read_only"
        assert error["message"] and error["fields"] == {} and error["pay_url"] == "/langganan/"


def test_suspended_still_reads_and_can_pay(admin_client_a, tenant_a):
    _set(tenant_a, "suspended")
    assert admin_client_a.get("/api/v1/me/").status_code == 200
    page = admin_client_a.get("/langganan/")
    assert page.status_code == 200 and "Akses ditangguhkan" in page.content.decode()
    plan = Plan.objects.get(code="kecil")
    paid = admin_client_a.post(
        "/langganan/bayar/", {"provider": "bank_transfer", "plan": plan.pk, "interval": "month"}
    )
    assert paid.status_code == 302
    assert Invoice.objects.filter(subscription__cooperative=tenant_a, status="open").count() == 1


def test_suspended_still_allows_login_and_logout(client_a, tenant_a, admin_password):
    _set(tenant_a, "suspended")
    login = client_a.post("/masuk/", {"username": "admin@alpha.test", "password": admin_password})
    assert login.status_code == 302
    assert client_a.post("/keluar/").status_code in (200, 302)


def test_past_due_does_not_block_writes(admin_client_a, tenant_a):
    _set(tenant_a, "past_due")
    response = admin_client_a.post("/api/v1/me/", data={}, content_type="application/json")
    assert response.status_code != 403 or response.json()["error"]["code"] != "tenant_read_only"
    page = admin_client_a.get("/langganan/")
    assert "Pembayaran langganan terlambat" in page.content.decode()


def test_other_cooperative_is_not_affected(client_b, tenant_a, tenant_b):
    _set(tenant_a, "suspended")
    response = client_b.post("/masuk/", {"username": "x", "password": "y"})
    assert response.status_code == 200  # the login form again, not a refusal


def test_suspended_still_lets_a_person_reset_and_change_their_password(
    client_a, tenant_a, committed
):
    """Account security is not cooperative data: a person who forgot their password must
    still be able to sign in (to pay), and one who fears it leaked to change it, while the
    cooperative is read-only (failed before: the reset request, the new password and the
    change were refused as writes, 403 tenant_read_only)."""
    import re

    from django.core import mail

    _set(tenant_a, "suspended")
    with committed():  # the e-mail is a task queued on commit
        asked = client_a.post("/lupa-sandi/", {"email": "admin@alpha.test"})
    assert asked.status_code == 302
    link = re.search(r"http://alpha\.localhost:8000(/atur-sandi/\S+/)", mail.outbox[-1].body)[1]
    form = client_a.get(link, follow=True)
    new = "Sandi-baru-yang-panjang-2026"
    done = client_a.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    login = client_a.post("/masuk/", {"username": "admin@alpha.test", "password": new})
    assert login.status_code == 302
    newer = "Sandi-lebih-baru-lagi-2026"
    changed = client_a.post(
        "/akun/kata-sandi/",
        {"old_password": new, "new_password1": newer, "new_password2": newer},
    )
    assert changed.status_code == 302
    # cooperative data stays read-only
    assert client_a.post("/anggota/", {"full_name": "Siapa Saja"}).status_code == 403


# -- a suspension an operator made is not lifted by paying: nothing may say it is --------


def _operator_suspends(tenant, django_capture_on_commit_callbacks):
    from lumbung.console import services as console
    from tests.console.conftest import make_operator

    admin = make_operator("admin", "admin-suspends@ops.lumbung.test")
    with django_capture_on_commit_callbacks(execute=True):
        console.tenant_suspend(operator=admin, cooperative=tenant, reason="Sengketa pengurus")


OPERATOR_WORDS = "ditangguhkan oleh tim Lumbung"
PAY_WORDS = ("belum dibayar", "sampai tagihan dibayar", "memulihkan akses")


def test_an_operators_suspension_does_not_tell_the_cooperative_to_pay_for_access(
    admin_client_a, tenant_a, django_capture_on_commit_callbacks
):
    from django.core import mail

    mail.outbox.clear()
    _operator_suspends(tenant_a, django_capture_on_commit_callbacks)
    # a write on a page: refused, saying who suspended it and what to do
    page = admin_client_a.post("/anggota/", {"full_name": "Siapa Saja"})
    assert page.status_code == 403
    body = " ".join(page.content.decode().split())
    assert OPERATOR_WORDS in body and "Hubungi tim Lumbung" in body
    assert "Bayar tagihan sekarang" not in body
    assert not any(words in body for words in PAY_WORDS), body
    # the API: the same words in the one error shape, the same code
    api = admin_client_a.post("/api/v1/me/", data={}, content_type="application/json")
    assert api.status_code == 403
    error = api.json()["error"]
    assert error["code"] == "tenant_read_only"
    assert OPERATOR_WORDS in error["message"] and error["pay_url"] is None
    assert not any(words in error["message"] for words in PAY_WORDS)
    # the staff banner on every page
    home = " ".join(admin_client_a.get("/langganan/").content.decode().split())
    assert "Akses ditangguhkan oleh tim Lumbung: data hanya dapat dibaca." in home
    assert "sampai tagihan dibayar" not in home
    # the e-mail to the cooperative
    (sent,) = [m for m in mail.outbox if "ditangguhkan" in m.subject]
    assert OPERATOR_WORDS in sent.body and "Hubungi tim Lumbung" in sent.body
    assert not any(words in sent.body for words in PAY_WORDS), sent.body


def test_a_suspension_for_an_unpaid_invoice_still_says_to_pay(admin_client_a, tenant_a):
    _set(tenant_a, "suspended")
    body = admin_client_a.post("/anggota/", {"full_name": "Siapa Saja"}).content.decode()
    assert "belum dibayar" in body and OPERATOR_WORDS not in body
    api = admin_client_a.post("/api/v1/me/", data={}, content_type="application/json")
    assert "Bayar tagihan" in api.json()["error"]["message"]
