"""Why a Stripe event was flagged is said in the operator's language: processing keeps the
reason as a code with its params (``WebhookEvent.flag_code`` / ``flag_params``) beside the
Indonesian text (``flag_reason``, as before), and the console's health page and the
operator's transfers page render it again. A row flagged before codes shows its stored
text."""

import json

from django.utils import translation

from billing.models import WebhookEvent
from billing.webhooks import stripe_event_process

from .conftest import login_operator


def _page(client, path: str, lang: str) -> str:
    client.cookies["django_language"] = lang
    return " ".join(client.get(path).content.decode().split())


def test_an_english_operator_reads_why_an_event_was_ignored_in_english(
    deliver, stripe_api, operator, client_public
):
    event_id = deliver("invoice.paid", {"id": "in_not_ours_en"}).event_id
    row = WebhookEvent.objects.get(event_id=event_id)
    login_operator(client_public, operator)
    english = (
        "Stripe object unknown to Lumbung and missing at Stripe: in_not_ours_en (invoice.paid)"
    )
    for path in ("/konsol/kesehatan/", "/billing/operator/transfer/"):
        en = _page(client_public, path, "en")
        assert english in en, (path, en)
        assert "tidak dikenal" not in en, path
        id_ = _page(client_public, path, "id")
        assert row.flag_reason in id_ and english not in id_, path
    # kept in Indonesian, as before, with its code and params
    assert row.flag_reason == (
        "Objek Stripe tidak dikenal Lumbung dan tidak ada di Stripe: in_not_ours_en (invoice.paid)"
    )
    assert row.flag_code == "webhook.stranger"
    assert row.flag_params == {"object": "in_not_ours_en", "type": "invoice.paid"}


def test_an_unknown_customer_is_said_in_english(
    deliver, stripe_api, stripe_plans, subscription_a, operator, client_public
):
    from billing.providers.stripe_provider import stripe_client

    client = stripe_client()
    stranger = client.v1.customers.create({"email": "asing-en@example.test"})
    remote = client.v1.subscriptions.create(
        {
            "customer": stranger["id"],
            "items": [{"plan": subscription_a.plan.stripe_price_monthly_id}],
            "trial_period_days": 30,
        }
    )
    row = WebhookEvent.objects.get(
        event_id=deliver("customer.subscription.created", {"id": remote["id"]}).event_id
    )
    login_operator(client_public, operator)
    en = _page(client_public, "/billing/operator/transfer/", "en")
    assert f"Unknown Stripe customer: {stranger['id']}" in en, en
    assert row.flag_reason == f"Pelanggan Stripe tidak dikenal: {stranger['id']}"
    assert row.flag_code == "webhook.unknown_customer"


def test_processing_in_an_english_request_still_keeps_the_indonesian_text(db, stripe_api):
    """An operator reading in English who has an event processed again (or a worker whose
    language is English) keeps the reason in Indonesian, as every flag_reason is."""
    body = {"id": "evt_en_2", "type": "invoice.paid", "data": {"object": {"id": "in_not_ours_en2"}}}
    row = WebhookEvent.objects.create(
        event_id="evt_en_2", event_type="invoice.paid", valid=True, raw_body=json.dumps(body)
    )
    with translation.override("en"):
        stripe_event_process(event_pk=row.pk)
    row.refresh_from_db()
    assert row.flag_reason == (
        "Objek Stripe tidak dikenal Lumbung dan tidak ada di Stripe: in_not_ours_en2 (invoice.paid)"
    )


def test_a_row_flagged_before_codes_shows_its_stored_text(db, operator, client_public):
    WebhookEvent.objects.create(
        event_id="evt_old_flag",
        event_type="invoice.paid",
        valid=True,
        raw_body="{}",
        state=WebhookEvent.State.IGNORED,
        flagged=True,
        flag_reason="Pelanggan Stripe tidak dikenal: cus_lama",
    )
    login_operator(client_public, operator)
    en = _page(client_public, "/billing/operator/transfer/", "en")
    assert "Pelanggan Stripe tidak dikenal: cus_lama" in en


def test_every_flag_is_said_in_both_languages():
    from billing.webhook_flags import FLAGS

    params = {
        "object": "in_1",
        "type": "invoice.paid",
        "customer": "cus_1",
        "slug": "kpri-x",
        "ours": "cus_2",
        "subscription": "sub_1",
        "second": "sub_2",
        "first": "sub_1",
        "status": "active",
    }
    for code, render in FLAGS.items():
        with translation.override("en"):
            en = render(params)
        with translation.override("id"):
            id_ = render(params)
        assert en and id_ and en != id_, code
        for word in ("Pelanggan", "tidak", "Langganan", "koperasi", "bukan", "kartu"):
            assert word not in en, (code, en)
