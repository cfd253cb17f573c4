"""Per-cooperative REST API (/api/v1/). Each app includes its own router here."""

from django.urls import path

from . import views

urlpatterns = [
    path("me/", views.api_me, name="api-me"),
]
