"""The one DRF exception handler: every API error has the same JSON shape."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import ApplicationError


def _shape(code: str, message: str, fields=None, http_status=400) -> Response:
    return Response(
        {"error": {"code": code, "message": str(message), "fields": fields or {}}},
        status=http_status,
    )


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        return _shape(exc.code, exc.message, exc.fields, exc.status_code)
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {}
        message = "; ".join(exc.messages)
        return _shape("validation_error", message, fields, status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        return _shape("validation_error", "Data tidak valid.", fields, response.status_code)
    code = getattr(exc, "default_code", "error")
    detail = getattr(exc, "detail", str(exc))
    return _shape(str(code), str(detail), None, response.status_code)
