import uuid

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

from .health import readiness
from .logging import request_id_var, tenant_var
from .observability import tag_tenant


class HealthCheckMiddleware:
    """Answer /healthz and /readyz on any host, before the tenant lookup."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/healthz":
            return JsonResponse({"status": "ok"})
        if request.path == "/readyz":
            checks = readiness()
            ok = all(c["ok"] for c in checks.values())
            return JsonResponse(
                {"status": "ok" if ok else "unavailable", "checks": checks},
                status=200 if ok else 503,
            )
        return self.get_response(request)


class RestoreSchemaMiddleware:
    """Put the connection back on the schema it was on before the request (the tenant
    middleware leaves it on the request's tenant). Matters for management code and tests
    that call views in-process; costs nothing per request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        before = getattr(connection, "tenant", None)
        try:
            return self.get_response(request)
        finally:
            if before is not None and getattr(connection, "tenant", None) is not before:
                connection.set_tenant(before)


class TenantContextMiddleware:
    """Put the tenant and a request id on logs and Sentry events."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        schema = getattr(connection, "schema_name", "public")
        # Usually set already by lumbung.observability.RequestContextMiddleware (first).
        rid = getattr(request, "request_id", None) or uuid.uuid4().hex
        request.request_id = rid
        # Not reset on the way out: Django logs 4xx/5xx responses after the whole
        # middleware chain, and those records must still name the tenant. The next
        # request starts from a clean context (RequestContextMiddleware).
        tenant_var.set(schema)
        request_id_var.set(rid)
        tag_tenant(schema)
        response = self.get_response(request)
        response["X-Request-ID"] = rid
        return response


class ContentSecurityPolicyMiddleware:
    """Send ``settings.CONTENT_SECURITY_POLICY`` on every response that has none yet
    (the Swagger UI's own view sets nothing either: its script is a separate file)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", "")
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response
