"""REST API of the cooperative's API keys (admin only, from a logged-in session: a key
cannot make or revoke keys)."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, serializers
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from core.common.idempotency import IdempotentPostMixin
from core.common.permissions import SETTINGS_ADMINS, RolePermission
from core.common.schema import ErrorSerializer

from . import apikeys
from .errors import UserErrors
from .models import ApiKey


class ApiKeyCannotManageKeys(exceptions.PermissionDenied):
    """A request authenticated by an API key asked for the keys themselves. By design: a
    key is a single secret, a session passed the two-factor step; a leaked key must not
    make itself more keys, nor revoke the cooperative's other integrations (its own
    included: the admin revokes it on the key screen)."""

    default_code = UserErrors.API_KEY_CANNOT_MANAGE_KEYS.value
    default_detail = _(
        "Kunci API tidak dapat mengelola kunci API (melihat, membuat, mencabut), termasuk "
        "dirinya sendiri; masuk sebagai admin untuk mengelolanya."
    )


# the 403 of the key operations, as the document tells it (the code is what a client tests)
KEY_FORBIDDEN = OpenApiResponse(
    ErrorSerializer,
    description=(
        "`permission_denied`: pengguna bukan admin koperasi. `api_key_cannot_manage_keys`: "
        "permintaan memakai kunci API (peran apa pun, admin juga): kunci API hanya dilihat, "
        "dibuat dan dicabut dari sesi admin yang masuk (layar /pengguna/kunci-api/, atau API "
        "ini dengan sesi itu)."
    ),
)


class NotByApiKey(BasePermission):
    def has_permission(self, request, view) -> bool:
        if isinstance(request.auth, ApiKey):
            raise ApiKeyCannotManageKeys()
        return True


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
    permission_classes = [NotByApiKey, RolePermission]  # a key's refusal names the rule
    read_roles = SETTINGS_ADMINS
    write_roles = SETTINGS_ADMINS


class ApiKeyListCreate(IdempotentPostMixin, _Admin, generics.ListAPIView):
    serializer_class = ApiKeySerializer
    queryset = ApiKey.objects.select_related("created_by").order_by("-created_at")

    @extend_schema(responses={200: ApiKeySerializer, 403: KEY_FORBIDDEN})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=ApiKeySerializer, responses={201: ApiKeyCreatedSerializer, 403: KEY_FORBIDDEN}
    )
    def post(self, request):
        incoming = ApiKeySerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        made = apikeys.api_key_create(by=request.user, **incoming.validated_data)
        data = ApiKeySerializer(made.api_key).data
        data["key"] = made.raw
        return Response(data, status=201)


class ApiKeyRevoke(IdempotentPostMixin, _Admin, APIView):
    @extend_schema(request=None, responses={200: ApiKeySerializer, 403: KEY_FORBIDDEN})
    def post(self, request, pk: int):
        key = get_object_or_404(ApiKey, pk=pk)
        key = apikeys.api_key_revoke(by=request.user, api_key=key)
        return Response(ApiKeySerializer(key).data)
