"""REST API of core.users, mounted under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("api-keys/", api.ApiKeyListCreate.as_view(), name="api-api-keys"),
    path("api-keys/<int:pk>/revoke/", api.ApiKeyRevoke.as_view(), name="api-api-key-revoke"),
]
