"""The OpenAPI schema's shared parts: the one error shape ``{"error": {code, message,
fields}}`` (``core.common.api.exception_handler``) as a component, documented on every
operation for the statuses any API view may answer with it."""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import get_lib_doc_excludes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from .fields import RupiahSerializerField
from .idempotency import IdempotentPostMixin

RUPIAH_DESCRIPTION = (
    'Rupiah: a JSON number or text as written, e.g. 1250000, "1250000", "1.250.000", '
    '"Rp 1.250.000"; shown as "1250000.00".'
)

# a JSON array of free-form objects (views answering ``Response([{...}, ...])``)
OBJECT_LIST = {"type": "array", "items": {"type": "object", "additionalProperties": {}}}


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Kode galat yang stabil, mis. validation_error")
    message = serializers.CharField(help_text="Pesan untuk manusia (bahasa pengguna)")
    fields = serializers.DictField(
        child=serializers.JSONField(),
        help_text="Galat per isian: nama isian → daftar pesan (kosong bila tidak ada)",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


# every status an API view answers with the error shape (the exception handler turns
# each DRF/Django exception and every ApplicationError into it)
ERROR_RESPONSES = {
    "400": "Masukan tidak valid (isian, kueri, tanggal, jumlah, JSON).",
    "401": "Belum masuk / kunci API tidak valid.",
    "403": "Peran tidak berwenang.",
    "404": "Tidak ditemukan (atau bukan milik koperasi/anggota ini).",
    "405": "Metode tidak diizinkan.",
    "406": "Format jawaban yang diminta tidak tersedia.",
    "409": "Bertentangan dengan keadaan data (sudah dibatalkan, periode ditutup, ...).",
    "413": "Permintaan terlalu besar.",
    "415": "Jenis isi permintaan tidak didukung.",
    "429": (
        "`throttled`: terlalu banyak permintaan dari kunci API (atau pengguna yang masuk) ini "
        "(`API_THROTTLE_RATE`, bawaan 600 per menit). Kirim lagi sesudah `Retry-After` detik."
    ),
    "503": (
        "`database_busy`: data yang sama sedang diubah permintaan lain pada saat yang sama "
        "(deadlock, kegagalan serialisasi, batas waktu kunci); tidak ada yang disimpan. "
        "Kirim lagi sesudah `Retry-After` detik."
    ),
}


# what a POST may carry to be safe to retry (core.common.idempotency)
IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name="Idempotency-Key",
    # what core.common.idempotency.KEY_RE takes, less blanks at either end (HTTP drops them)
    type={
        "type": "string",
        "minLength": 1,
        "maxLength": 255,
        "pattern": "^[!-~]([ -~]*[!-~])?$",
    },
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Optional, 1-255 printable ASCII characters (e.g. a UUID). Sent again with the same "
        "body to the same path by the same user within 24 hours, the first answer is "
        "answered again, status and body (header `Idempotent-Replayed: true`), and nothing "
        "runs twice: a success (2xx), and a refusal (4xx) the request met once it ran "
        "(e.g. 400 `validation_error`, 404, 409): a retry learns it was refused, as "
        "Stripe's keys do; a corrected request takes a new key. A failure (5xx: 503 "
        "`database_busy`, a server error) is never kept: its retry with the same key runs "
        "again. Nothing is kept for a request refused before it ran (401, 403 of the role "
        "check, 429, an invalid key). The same key with another path or body: 422 "
        "`idempotency_key_reused`; while the first request with it still runs: 409 "
        "`idempotency_key_in_progress` (not kept either)."
    ),
)
POST_ERROR_RESPONSES = {
    "422": "Idempotency-Key sudah dipakai untuk permintaan lain (alamat atau isi berbeda).",
}


def _model_field_may_be_blank(field: serializers.Field) -> bool:
    """Whether a read-only ModelSerializer choice field reads a model field that may hold
    "" (``blank=True``): DRF drops ``allow_blank`` from read-only fields, so the document
    would otherwise list only the choices while the answer carries ""."""
    if not (isinstance(field, serializers.ChoiceField) and field.read_only):
        return False
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or len(field.source_attrs) != 1:
        return False
    try:
        model_field = model._meta.get_field(field.source_attrs[0])
    except FieldDoesNotExist:
        return False
    return isinstance(model_field, models.CharField | models.TextField) and model_field.blank


def lib_doc_excludes() -> list:
    """Bases whose docstrings are for developers, never an operation's description
    (drf-spectacular's ``GET_LIB_DOC_EXCLUDES``): a view without a docstring of its own
    would otherwise be described by ``IdempotentPostMixin``'s."""
    return [*get_lib_doc_excludes(), IdempotentPostMixin]


class LumbungAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema with the error responses added to every operation
    (a view's own ``extend_schema(responses=...)`` for a status wins), the
    ``Idempotency-Key`` header declared on every POST, and "" documented for read-only
    choices whose model field may be blank."""

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        if _model_field_may_be_blank(field):
            field.allow_blank = True  # read-only: only what the document says changes
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, RupiahSerializerField):
            # read as people write rupiah ("1.250.000", "Rp 1.250.000"), not only as the
            # plain decimal it is shown as: the DecimalField's pattern would refuse them
            schema.pop("pattern", None)
            schema.setdefault("description", RUPIAH_DESCRIPTION)
        return schema

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self.method == "POST":
            parameters.append(IDEMPOTENCY_KEY_PARAMETER)
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        errors = ERROR_RESPONSES | (POST_ERROR_RESPONSES if self.method == "POST" else {})
        for code, description in errors.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=description),
                    code,
                    direction=direction,
                )
        return responses
