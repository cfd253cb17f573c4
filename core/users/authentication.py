"""DRF authentication for the cooperative's API: the browser session (only once the
two-factor step is done, see ``core.users.middleware.TwoFactorSessionMiddleware``) and
per-cooperative API keys. HTTP Basic is not accepted: a password alone must never be
enough for a user who enrolled a second factor."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from .apikeys import api_key_check

KEYWORDS = (b"api-key", b"bearer")


class ApiKeyAuthentication(BaseAuthentication):
    """``Authorization: Api-Key lmb_…`` (or ``Bearer lmb_…``), checked in the schema of
    the host the request came to. ``request.user`` is the key's own user (its role);
    ``request.auth`` the ``ApiKey``."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Header Authorization tidak valid."))
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Kunci API tidak valid."))
        key = api_key_check(raw=raw)
        if key is None:
            raise exceptions.AuthenticationFailed(_("Kunci API tidak valid atau sudah dicabut."))
        return (key.user, key)

    def authenticate_header(self, request):
        return "Api-Key"


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema describes the key."""

    target_class = "core.users.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key lmb_…` (or `Bearer lmb_…`): a key made by the "
            "cooperative's admin at /pengguna/kunci-api/.",
        }
