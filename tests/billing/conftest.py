"""Billing fixtures: a local Stripe-speaking server, signed webhook delivery, members."""

import json
import secrets
import time
from datetime import date

import pytest
import stripe
from django.conf import settings as dj_settings
from django.db import connection

from .stripe_server import LocalStripeServer

WEBHOOK_SECRET = "whsec_test_lumbung_billing"


@pytest.fixture(scope="session")
def local_stripe():
    server = LocalStripeServer().start()
    yield server
    server.stop()


@pytest.fixture
def stripe_api(local_stripe, settings):
    settings.STRIPE_API_BASE = local_stripe.url
    settings.STRIPE_SECRET_KEY = "sk_test_lumbung"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.BILLING_WEBHOOK_PATH_TOKEN = "tok-" + "x" * 30
    return local_stripe


@pytest.fixture
def stripe_plans(stripe_api, db):
    """Every offered plan gets its monthly and yearly price in (local) Stripe."""
    from billing.providers.stripe_provider import stripe_catalog_sync

    stripe_catalog_sync()


@pytest.fixture
def eager_tasks():
    from lumbung.celery import app

    old = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = False  # a failing task is stored as failed, not raised
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = old


@pytest.fixture
def subscription_a(tenant_a):
    from billing.models import Subscription

    return Subscription.objects.select_related("plan", "cooperative").get(cooperative=tenant_a)


def signed_event(
    event_type: str,
    obj: dict,
    *,
    event_id: str | None = None,
    secret: str = WEBHOOK_SECRET,
    timestamp=None,
):
    """(body, Stripe-Signature header) for an event, signed with the SDK's own function."""
    event = {
        "id": event_id or "evt_" + secrets.token_hex(12),
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "livemode": False,
        "api_version": stripe.api_version,
        "data": {"object": dict(obj)},
    }
    body = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=timestamp)
    return body, header, event["id"]


@pytest.fixture
def deliver(client_public, django_capture_on_commit_callbacks, eager_tasks):
    """POST a signed event to the webhook on the apex host; on-commit tasks run at once."""

    def _deliver(
        event_type, obj, *, event_id=None, secret=WEBHOOK_SECRET, timestamp=None, signature=None
    ):
        body, header, eid = signed_event(
            event_type, obj, event_id=event_id, secret=secret, timestamp=timestamp
        )
        url = f"/billing/webhooks/stripe/{dj_settings.BILLING_WEBHOOK_PATH_TOKEN}/"
        with django_capture_on_commit_callbacks(execute=True):
            response = client_public.post(
                url,
                data=body,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=signature or header,
            )
        response.event_id = eid
        return response

    return _deliver


def add_active_members(tenant, count: int, *, start: int = 0):
    """Create ``count`` active members in the cooperative's schema."""
    from core.members.models import Agency, Member

    connection.set_tenant(tenant)
    try:
        agency, _ = Agency.objects.get_or_create(
            code="DINKES", defaults={"name": "Dinas Kesehatan"}
        )
        Member.objects.bulk_create(
            [
                Member(
                    number=f"T{start + i:06d}",
                    full_name=f"Anggota {start + i}",
                    nip=f"19800101200501{1000 + start + i:04d}"[:18],
                    nik=f"62710101018{start + i:05d}"[:16],
                    agency=agency,
                    join_date=date(2020, 1, 1),
                )
                for i in range(count)
            ]
        )
    finally:
        connection.set_schema_to_public()


@pytest.fixture
def admin_a(tenant_a):
    from core.users.models import User

    connection.set_tenant(tenant_a)
    try:
        return User.objects.get(username="admin@alpha.test")
    finally:
        connection.set_schema_to_public()


@pytest.fixture
def admin_client_a(client_a, tenant_a, admin_a):
    """client_a logged in as alpha's admin (session stored in alpha's schema)."""
    connection.set_tenant(tenant_a)
    try:
        client_a.force_login(admin_a)
    finally:
        connection.set_schema_to_public()
    return client_a


@pytest.fixture
def operator(db):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from core.users.models import User

    user = User.objects.create_user(
        username="ops@lumbung.test",
        password="Operator-Sandi-9",
        operator_role=User.OperatorRole.BILLING,
    )
    TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=True)
    return user


def login_operator(client, operator) -> None:
    """Log ``operator`` in on ``client`` as the console does: password and TOTP step."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(operator)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=operator).persistent_id
    session.save()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded proofs go to a temporary folder, not the developer's media."""
    settings.MEDIA_ROOT = tmp_path / "media"


class Clock:
    """A moved clock: ``django.utils.timezone.now`` (and so ``localdate``) returns
    ``self.now``; ``advance(days=…)`` moves it. Services read the time through it."""

    def __init__(self, start):
        self.now = start

    def __call__(self):
        return self.now

    def advance(self, **kwargs):
        from datetime import timedelta

        self.now = self.now + timedelta(**kwargs)
        return self.now


@pytest.fixture
def clock(monkeypatch):
    from django.utils import timezone

    c = Clock(timezone.now())
    monkeypatch.setattr(timezone, "now", c)
    return c


def pay_by_bank(subscription, plan_code: str, interval: str, operator):
    """Issue a bank-transfer invoice for the plan and confirm it (an operator saw it)."""
    from billing import services
    from billing.models import Plan

    inv = services.bank_invoice_issue(
        subscription=subscription, plan=Plan.objects.get(code=plan_code), interval=interval, by="t"
    )
    return services.bank_transfer_confirm(invoice=inv, operator=operator)


def confirm_transfer(client, invoice, note: str = "", *, follow: bool = True):
    """*Konfirmasi diterima* as an operator does it: the first step (a GET) names the
    proof seen and fills in the amount to be transferred, the second (a POST) sends
    both back."""
    import re

    url = f"/billing/operator/transfer/{invoice.pk}/konfirmasi/"
    step = client.get(url)
    assert step.status_code == 200, step.status_code
    seen = re.search(r'name="proof_seen" value="([^"]*)"', step.content.decode())
    assert seen, "the first step names the proof seen"
    amount = re.search(r'name="amount" value="([^"]*)"', step.content.decode())
    assert amount, "the first step fills in the amount to be transferred"
    return client.post(
        url,
        {"note": note, "proof_seen": seen.group(1), "amount": amount.group(1)},
        follow=follow,
    )
