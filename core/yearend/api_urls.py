"""REST API of core.yearend, mounted under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("yearend/<int:year>/", api.YearEndDetail.as_view(), name="api-yearend"),
    path("yearend/<int:year>/settings/", api.SettingsDetail.as_view(), name="api-yearend-settings"),
    path("yearend/<int:year>/checklist/", api.Checklist.as_view(), name="api-yearend-checklist"),
    path("yearend/<int:year>/close/", api.Close.as_view(), name="api-yearend-close"),
    path("yearend/<int:year>/reopen/", api.Reopen.as_view(), name="api-yearend-reopen"),
    path("yearend/<int:year>/reclose/", api.Reclose.as_view(), name="api-yearend-reclose"),
    path("yearend/<int:year>/preview/", api.Preview.as_view(), name="api-yearend-preview"),
    path("yearend/<int:year>/post/", api.Post.as_view(), name="api-yearend-post"),
    path("yearend/<int:year>/payout/", api.Payout.as_view(), name="api-yearend-payout"),
    path(
        "yearend/<int:year>/old-books/",
        api.OldBooks.as_view(),
        name="api-yearend-old-books",
    ),
    path(
        "yearend/<int:year>/old-books/preview/",
        api.OldBooksPreviewView.as_view(),
        name="api-yearend-old-books-preview",
    ),
    path(
        "yearend/<int:year>/old-books/undo/",
        api.OldBooksUndo.as_view(),
        name="api-yearend-old-books-undo",
    ),
    path(
        "yearend/payouts/<int:pk>/reverse/",
        api.PayoutReverse.as_view(),
        name="api-yearend-payout-reverse",
    ),
    path("yearend/<int:year>/shares/", api.Shares.as_view(), name="api-yearend-shares"),
    path("yearend/<int:year>/rat-texts/", api.RatTexts.as_view(), name="api-yearend-rat-texts"),
    path("yearend/<int:year>/rat-pack/", api.RatPack.as_view(), name="api-yearend-rat-pack"),
]
