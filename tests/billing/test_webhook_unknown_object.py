"""A signed event naming a Stripe object that Stripe does not have and Lumbung does not
know (not one of its subscriptions, customers or invoices) is nothing to retry: it is
recorded ``ignored`` with the reason, not ``failed``, so the console's failures are real
ones. An object Lumbung knows that Stripe cannot find stays a failure."""

from billing.models import Subscription, WebhookEvent
from lumbung.console import selectors as console_selectors


def test_an_invoice_nobody_here_knows_is_ignored_with_the_reason(deliver, stripe_api):
    response = deliver("invoice.paid", {"id": "in_not_ours"})
    assert response.status_code == 200
    row = WebhookEvent.objects.get(event_id=response.event_id)
    assert row.state == WebhookEvent.State.IGNORED
    assert "in_not_ours" in row.flag_reason and "tidak dikenal" in row.flag_reason
    assert row.attempts == 1


def test_a_subscription_nobody_here_knows_is_ignored(deliver, stripe_api):
    response = deliver("customer.subscription.updated", {"id": "sub_not_ours"})
    row = WebhookEvent.objects.get(event_id=response.event_id)
    assert row.state == WebhookEvent.State.IGNORED and "sub_not_ours" in row.flag_reason


def test_ignored_events_are_not_counted_as_failures_on_the_console(deliver, stripe_api):
    deliver("invoice.paid", {"id": "in_not_ours_2"})
    assert console_selectors.overview()["failed_payments"] == 0


def test_our_subscription_that_stripe_cannot_find_stays_failed(deliver, stripe_api, subscription_a):
    Subscription.objects.filter(pk=subscription_a.pk).update(
        stripe_subscription_id="sub_ours_gone", stripe_customer_id="cus_ours"
    )
    response = deliver("customer.subscription.updated", {"id": "sub_ours_gone"})
    row = WebhookEvent.objects.get(event_id=response.event_id)
    assert row.state == WebhookEvent.State.FAILED and "Not Found" in row.error


def test_an_invoice_of_our_customer_that_stripe_cannot_find_stays_failed(
    deliver, stripe_api, subscription_a
):
    Subscription.objects.filter(pk=subscription_a.pk).update(stripe_customer_id="cus_ours_2")
    response = deliver("invoice.paid", {"id": "in_gone", "customer": "cus_ours_2"})
    row = WebhookEvent.objects.get(event_id=response.event_id)
    assert row.state == WebhookEvent.State.FAILED and "Not Found" in row.error


def test_the_console_health_page_lists_webhook_failures_with_why_apart_from_ignored(
    deliver, stripe_api, subscription_a, operator, client_public
):
    """Operators see each failed Stripe event with its error (the overview only counts
    them), and the ignored ones flagged with their reason, apart."""
    from tests.billing.conftest import login_operator

    Subscription.objects.filter(pk=subscription_a.pk).update(stripe_customer_id="cus_ours_3")
    failed = deliver("invoice.paid", {"id": "in_gone_3", "customer": "cus_ours_3"}).event_id
    ignored = deliver("invoice.paid", {"id": "in_not_ours_3"}).event_id
    login_operator(client_public, operator)
    page = " ".join(client_public.get("/konsol/kesehatan/").content.decode().split())
    section = page.split("Webhook Stripe gagal", 1)[1].split("</section>", 1)[0]
    failures, flagged = section.split("Diabaikan", 1)
    assert failed in failures and "Not Found" in failures and ignored not in failures
    assert ignored in flagged and "in_not_ours_3" in flagged and "tidak dikenal" in flagged
