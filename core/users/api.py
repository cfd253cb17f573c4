"""REST API of the cooperative's API keys (admin only, from a logged-in session: a key
cannot make or revoke keys)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from core.common.idempotency import IdempotentPostMixin
from core.common.permissions import SETTINGS_ADMINS, RolePermission

from . import apikeys
from .models import ApiKey


class NotByApiKey(BasePermission):
    message = "Kunci API tidak dapat mengelola kunci API; masuk sebagai admin."

    def has_permission(self, request, view) -> bool:
        return not isinstance(request.auth, ApiKey)


class ApiKeySerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(
        source="created_by.username", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "role",
            "prefix",
            "created_by",
            "created_at",
            "last_used_at",
            "revoked_at",
        ]
        read_only_fields = [
            "id",
            "prefix",
            "created_by",
            "created_at",
            "last_used_at",
            "revoked_at",
        ]


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(read_only=True, help_text="The whole key: shown this once only.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]


class _Admin:
    permission_classes = [RolePermission, NotByApiKey]
    read_roles = SETTINGS_ADMINS
    write_roles = SETTINGS_ADMINS


class ApiKeyListCreate(IdempotentPostMixin, _Admin, generics.ListAPIView):
    serializer_class = ApiKeySerializer
    queryset = ApiKey.objects.select_related("created_by").order_by("-created_at")

    @extend_schema(request=ApiKeySerializer, responses={201: ApiKeyCreatedSerializer})
    def post(self, request):
        incoming = ApiKeySerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        made = apikeys.api_key_create(by=request.user, **incoming.validated_data)
        data = ApiKeySerializer(made.api_key).data
        data["key"] = made.raw
        return Response(data, status=201)


class ApiKeyRevoke(IdempotentPostMixin, _Admin, APIView):
    @extend_schema(request=None, responses=ApiKeySerializer)
    def post(self, request, pk: int):
        key = get_object_or_404(ApiKey, pk=pk)
        key = apikeys.api_key_revoke(by=request.user, api_key=key)
        return Response(ApiKeySerializer(key).data)
