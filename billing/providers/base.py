"""The one interface every payment provider implements, and the registry that finds
them (settings.BILLING_PROVIDERS). Adding a provider = a class here + a settings line."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from billing.models import Invoice, Plan, Subscription


@dataclass(frozen=True)
class PaymentStart:
    """What to do next after asking to pay: send the browser to ``redirect_url`` (a
    hosted checkout) and/or show the ``invoice`` issued for a manual payment."""

    redirect_url: str = ""
    invoice: Invoice | None = None


class PaymentProvider(ABC):
    code: str = ""

    @abstractmethod
    def start_payment(
        self,
        *,
        subscription: Subscription,
        plan: Plan,
        interval: str,
        success_url: str,
        cancel_url: str,
        billing_starts_at: datetime | None = None,
    ) -> PaymentStart:
        """Begin paying for ``plan`` (a checkout page, or an invoice to transfer to).
        ``billing_starts_at``: a recurring charge starts then, not now (what is already
        covered runs out first); a provider issuing invoices dates them itself."""

    def manage_url(self, *, subscription: Subscription, return_url: str) -> str:
        """A page where the cooperative manages its payment method (if the provider has one)."""
        return ""

    @abstractmethod
    def change_plan(self, *, subscription: Subscription, plan: Plan, interval: str) -> None:
        """Move an existing paid subscription to another plan at the provider (prorated
        where the provider supports it). Called before the local row changes."""


def provider_get(code: str) -> PaymentProvider:
    path = settings.BILLING_PROVIDERS.get(code)
    if not path:
        raise KeyError(f"Unknown payment provider {code!r}")
    return import_string(path)()
