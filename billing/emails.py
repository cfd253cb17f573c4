"""Billing e-mails (Bahasa Indonesia): trial ending, payment failed, suspended,
restored, bank-transfer reminder, invoices moved by a trial extension… Always sent
after the transaction commits."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from tenants.services import tenant_url

from .models import Notice
from .notices import notice_params

log = logging.getLogger(__name__)

KINDS = {
    "trial_ending",
    "trial_ended",
    "payment_failed",
    "period_ended",
    "suspended",
    "restored",
    "archived",
    "invoice_reminder",
    "proof_rejected",
    "payment_confirmed",
    "subscription_canceled",
    "bank_invoices_voided",
    "over_limit",
    "invoice_period_moved",
    "transfer_partial",
    "transfer_overpaid",
}


def billing_email_send(*, kind: str, subscription, extra: dict | None = None) -> None:
    """Queue a billing e-mail to the cooperative's billing address on commit, and leave
    the same notice in the app (billing.Notice: the billing page and the staff banner),
    in the caller's transaction."""
    if kind not in KINDS:
        raise ValueError(kind)
    coop = subscription.cooperative
    if coop.is_practice:  # a practice copy is never billed nor written to
        log.warning("Billing e-mail %s for practice copy %s not sent", kind, coop.slug)
        return
    base = tenant_url(coop.slug).rstrip("/")
    context = {
        "cooperative": coop,
        "subscription": subscription,
        "billing_url": f"{base}/langganan/",
        **(extra or {}),
    }
    with translation.override("id"):  # as the e-mail: Indonesian
        message = render_to_string(f"billing/emails/{kind}_subject.txt", context).strip()
        message = message.removeprefix("[Lumbung] ")
        if context.get("reason"):
            message = f"{message}. {_('Alasan')}: {context['reason']}"
    # said again in the reader's language from its params when shown (``notices``)
    Notice.objects.create(
        subscription=subscription,
        kind=kind,
        message=message[:2000],
        params=notice_params(kind, context),
    )
    if not coop.email:
        log.warning("No e-mail address for cooperative %s; %s not sent", coop.slug, kind)
        return

    def send():
        with translation.override("id"):
            subject = render_to_string(f"billing/emails/{kind}_subject.txt", context).strip()
            body = render_to_string(f"billing/emails/{kind}_body.txt", context)
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [coop.email])

    transaction.on_commit(send)
