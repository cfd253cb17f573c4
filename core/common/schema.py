"""The OpenAPI schema's shared parts: the one error shape ``{"error": {code, message,
fields}}`` (``core.common.api.exception_handler``) as a component, documented on every
operation for the statuses any API view may answer with it."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

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
    "429": "Terlalu banyak permintaan.",
}


class LumbungAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema with the error responses added to every operation
    (a view's own ``extend_schema(responses=...)`` for a status wins)."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code, description in ERROR_RESPONSES.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=description),
                    code,
                    direction=direction,
                )
        return responses
