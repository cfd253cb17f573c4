"""Why a Stripe event was flagged (``WebhookEvent.flag_reason``), said in the operator's
language.

Processing (``billing.webhooks``) keeps the reason as ``flag_code`` (``webhook.<kind>``,
one of ``FLAGS``) and ``flag_params`` (the Stripe ids, the cooperative's slug, as plain
JSON) beside the text in Indonesian, and the console's health page and the operator's
transfers page render it again (``flag_shown``) through ``core.common.said``. An event
flagged before codes shows its stored text.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from core.common.said import Said, said_register, said_shown

# What each flag says, by code.
FLAGS: dict[str, Callable[[dict], str]] = {
    "webhook.stranger": lambda p: (
        _("Objek Stripe tidak dikenal Lumbung dan tidak ada di Stripe: %(object)s (%(type)s)") % p
    ),
    "webhook.unknown_customer": lambda p: _("Pelanggan Stripe tidak dikenal: %(customer)s") % p,
    "webhook.unknown_checkout": lambda p: _("Checkout untuk koperasi tidak dikenal: %(slug)s") % p,
    "webhook.customer_mismatch": lambda p: (
        _("Pelanggan Stripe %(customer)s bukan milik %(slug)s (%(ours)s)") % p
    ),
    "webhook.card_end_unrecorded": lambda p: (
        _(
            "Langganan kartu %(subscription)s %(slug)s diakhiri di Stripe tanpa tercatat di "
            "Lumbung (mis. pembayaran manual yang gagal dicatat): periksa dan catat pembayarannya"
        )
        % p
    ),
    "webhook.second_card": lambda p: (
        _(
            "Langganan kartu kedua %(second)s (%(status)s) menagih %(slug)s bersama %(first)s: "
            "akhiri dan kembalikan dananya di Stripe"
        )
        % p
    ),
}
said_register(FLAGS)


def flag_said(code: str, **params: str) -> Said:
    """A flag's reason as kept: in the site's language (Indonesian), whoever processes
    the event (a worker, or an operator's request in English)."""
    with translation.override(settings.LANGUAGE_CODE):
        return Said(code, {k: str(v) for k, v in params.items()})


def flag_shown(*, code: str, params: dict | None, message: str) -> str:
    """A kept reason in the active language; its stored text when kept before codes."""
    if not code:
        return message
    return said_shown({"code": code, "params": params or {}, "message": message})
