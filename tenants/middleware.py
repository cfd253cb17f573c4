"""The Host check and the tenant lookup of every request (cached), and on a practice copy's host
(tenants.practice): ``request.is_practice`` for the templates' LATIHAN banner, the copy's last use (for the 90-day clean-up) and the guided month's
"read the trial balance" step, recorded when the report is actually shown."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port, validate_host
from django_tenants.middleware.main import TenantMainMiddleware
from django_tenants.utils import remove_www

from core.audit.services import audit_log

from .host_cache import tenant_for_host
from .models import Domain
from .practice import practice_touch
from .practice_steps import TRIAL_BALANCE_READ

log = logging.getLogger(__name__)

TRIAL_BALANCE_VIEWS = {"ledger:report", "api-ledger-trial-balance"}


def _is_trial_balance(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    if match is None or match.view_name not in TRIAL_BALANCE_VIEWS:
        return False
    return match.view_name != "ledger:report" or match.kwargs.get("kind") == "neraca-saldo"


def _configured_hosts() -> list[str]:
    hosts = list(settings.CONFIGURED_HOSTS)
    if settings.DEBUG and not hosts:  # Django's own default in DEBUG
        hosts = [".localhost", "127.0.0.1", "[::1]"]
    return hosts


def _is_cooperative_domain(domain: str) -> bool:
    """A host of the Domain table (a cooperative's subdomain or a custom domain added in
    the console), looked up as the tenant middleware will (``www.`` removed), cached."""
    try:
        tenant_for_host(remove_www(domain))
    except Domain.DoesNotExist:
        return False
    return True


class AllowedHostMiddleware:
    """Django's ALLOWED_HOSTS check, widened to the custom domains of the Domain table
    (settings/security.py: ALLOWED_HOSTS is "*" and this runs before anything reads the
    host). A request's Host must match the deploy's configured hosts
    (``CONFIGURED_HOSTS``, the ALLOWED_HOSTS variable) or be a domain of the table;
    anything else is a DisallowedHost (400, logged on django.security). So the Host header
    of every request past here names a host of ours: links built from it are safe."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        host = request._get_raw_host()
        domain, _port = split_domain_port(host)
        if not domain or not (
            validate_host(domain, _configured_hosts()) or _is_cooperative_domain(domain)
        ):
            raise DisallowedHost(f"Invalid HTTP_HOST header: {host!r}.")
        return self.get_response(request)


class CachedTenantMiddleware(TenantMainMiddleware):
    """django-tenants' host → schema middleware with the lookup cached
    (tenants.host_cache): a request to a known host costs no query here."""

    def get_tenant(self, domain_model, hostname):
        return tenant_for_host(hostname)


class PracticeMiddleware:
    """After authentication. Does nothing on a real cooperative's host."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        request.is_practice = bool(getattr(tenant, "is_practice", False))
        response = self.get_response(request)
        if not request.is_practice:
            return response
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return response
        try:
            practice_touch(practice=tenant)
            if response.status_code == 200 and _is_trial_balance(request):
                audit_log(actor=user, action=TRIAL_BALANCE_READ, data={"path": request.path})
        except Exception:  # never turn a shown page into an error for bookkeeping
            log.exception("Practice copy bookkeeping failed on %s", request.path)
        return response
