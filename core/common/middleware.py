"""Boundary middleware: every /api/ response that is an error has the one JSON shape
(``{"error": {"code", "message", "fields"}}``), including Django's own 404 and 500 pages
in production; a query string carrying a NUL byte is refused before any view sees it
(PostgreSQL cannot store or compare it); a database refusal registered in
``db_refusals`` (a trigger guarding an invariant) answers with its refusal, not a 500, and
a transient conflict (``db_busy``: a deadlock, a serialization failure, a lock timeout)
with "busy, nothing saved, try again" (503, ``Retry-After``), not a 500; a
POST (or other write) to an API path without its trailing slash is a JSON 404
``trailing_slash_required`` naming the path, not Django's HTML redirect."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.template.loader import render_to_string
from django.urls import is_valid_path
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .db_busy import DatabaseBusy, db_busy_error
from .db_refusals import db_refusal_error
from .submission import submission_release

# PostgreSQL's bigint (the largest id a row can have)
MAX_ID = 2**63 - 1

API_PREFIX = "/api/"

_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
    415: "unsupported_media_type",
    429: "throttled",
}
# said in the language the request is answered in (an API client's Accept-Language)
_MESSAGES = {
    400: gettext_lazy("Permintaan tidak valid."),
    401: gettext_lazy("Belum masuk."),
    403: gettext_lazy("Tidak diizinkan."),
    404: gettext_lazy("Tidak ditemukan."),
    405: gettext_lazy("Metode tidak diizinkan."),
    500: gettext_lazy("Terjadi kesalahan pada server."),
}


def api_error(status: int, *, code: str | None = None, message: str | None = None, fields=None):
    code = code or _CODES.get(status, "server_error" if status >= 500 else "error")
    message = message or str(
        _MESSAGES.get(status, _MESSAGES[500] if status >= 500 else gettext_lazy("Galat."))
    )
    return JsonResponse(
        {"error": {"code": code, "message": message, "fields": fields or {}}}, status=status
    )


def _has_nul(request) -> bool:
    if "\x00" in request.path:
        return True
    return any(
        "\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()
    )


def _slash_missing(request) -> bool:
    """A write to an API path that exists only with a trailing slash: Django's
    CommonMiddleware would answer an HTML 301 (a 500 with DEBUG), which a client cannot
    follow with its body."""
    path = request.path_info
    return (
        settings.APPEND_SLASH
        and request.method not in ("GET", "HEAD")
        and not path.endswith("/")
        and not is_valid_path(path, getattr(request, "urlconf", None))
        and is_valid_path(path + "/", getattr(request, "urlconf", None))
    )


def _request_language(request) -> str:
    """The language the request will be answered in, for an answer given before
    ``IndonesianFirstMiddleware`` and ``LocaleMiddleware`` run: the switcher's cookie,
    then for the API only its ``Accept-Language``; else ``LANGUAGE_CODE``."""
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if cookie and cookie in dict(settings.LANGUAGES):
        return cookie
    if request.path.startswith(API_PREFIX):
        return translation.get_language_from_request(request)
    return settings.LANGUAGE_CODE


class ApiErrorMiddleware:
    """Placed early in MIDDLEWARE so it sees the final response of everything inside it
    (URL resolution 404s and the 500 page Django renders for an unhandled exception)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        is_api = request.path.startswith(API_PREFIX)
        if _has_nul(request):
            # before the locale middleware: the language it would choose, said here
            with translation.override(_request_language(request)):
                message = _("Parameter tidak boleh mengandung karakter NUL.")
            if is_api:
                return api_error(400, message=message)
            return HttpResponseBadRequest(message)
        if is_api and _slash_missing(request):
            return api_error(
                404,
                code="trailing_slash_required",
                message=_("Alamat API diakhiri garis miring: %(path)s")
                % {"path": request.path + "/"},
            )
        response = self.get_response(request)
        if (
            is_api
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
            and not getattr(response, "streaming", False)
        ):
            extra = {k: v for k, v in response.items() if k in ("Allow", "Retry-After")}
            response = api_error(response.status_code)
            for k, v in extra.items():
                response[k] = v
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        """An id in the URL beyond PostgreSQL's bigint cannot exist: 404 here, not a
        DataError ("integer out of range") from the query."""
        for value in (*view_args, *view_kwargs.values()):
            if isinstance(value, int) and not isinstance(value, bool):
                too_big = value > MAX_ID
            elif isinstance(value, str) and value.isascii() and value.isdigit():
                too_big = int(value) > MAX_ID
            else:
                continue
            if too_big:
                if request.path.startswith(API_PREFIX):
                    return api_error(404)
                raise Http404
        return None


class DbRefusalMiddleware:
    """A registered database refusal, or a transient conflict (``db_busy``), escaping a
    view: the JSON error shape under /api/ (and for clients asking JSON), a page saying
    why elsewhere; the view's transaction has been rolled back by its own ``atomic`` by
    then (nothing written). The form key the request took is given back
    (``submission_release``), so the form the browser kept, sent again, is recorded. A
    conflict answers 503 with ``Retry-After``; its page sends the person back to their
    filled-in form (a POST) or reloads the page (a GET)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        err = db_refusal_error(exception) or db_busy_error(
            exception, where=f"{request.method} {request.path}"
        )
        if err is None:
            return None
        submission_release(request)
        if request.path.startswith("/api/") or "application/json" in request.headers.get(
            "Accept", ""
        ):
            response = JsonResponse(err.as_dict(), status=err.status_code)
        elif isinstance(err, DatabaseBusy):
            back = request.method not in ("GET", "HEAD")  # to the form the browser kept
            html = render_to_string(
                "common/busy.html",
                {"message": err.message, "back": back, "reload_url": request.get_full_path()},
                request=request,
            )
            response = HttpResponse(html, status=err.status_code)
        else:
            html = render_to_string(
                "common/refused.html", {"message": err.message}, request=request
            )
            response = HttpResponse(html, status=err.status_code)
        if isinstance(err, DatabaseBusy):
            response["Retry-After"] = str(err.retry_after)
        return response
