"""REST API of core.exits, mounted under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path(
        "members/<int:pk>/exit-settlement/reverse/",
        api.ExitSettlementReverse.as_view(),
        name="api-member-exit-reverse",
    ),
]
