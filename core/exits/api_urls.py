"""REST API of core.exits, mounted under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path(
        "members/<int:pk>/exit-settlement/preview/",
        api.ExitSettlementPreview.as_view(),
        name="api-member-exit-preview",
    ),
    path(
        "members/<int:pk>/exit-settlement/confirm/",
        api.ExitSettlementConfirm.as_view(),
        name="api-member-exit-confirm",
    ),
    path(
        "members/<int:pk>/exit-settlement/left-open/confirm/",
        api.ExitSettlementLeftOpenConfirm.as_view(),
        name="api-member-exit-left-open-confirm",
    ),
    path(
        "members/<int:pk>/exit-settlement/reverse/",
        api.ExitSettlementReverse.as_view(),
        name="api-member-exit-reverse",
    ),
]
