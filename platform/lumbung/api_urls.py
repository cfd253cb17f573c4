"""Per-cooperative REST API (/api/v1/). Each app includes its own router here."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.api_root, name="api-root"),
    path("me/", views.api_me, name="api-me"),
    path("", include("core.users.api_urls")),
    path("", include("core.ledger.api_urls")),
    path("", include("core.members.api_urls")),
    path("", include("core.exits.api_urls")),
    path("", include("core.savings.api_urls")),
    path("", include("core.loans.api_urls")),
    path("", include("core.deductions.api_urls")),
    path("", include("core.yearend.api_urls")),
    path("", include("core.onboarding.api_urls")),
]
