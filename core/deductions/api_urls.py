"""REST API of core.deductions, mounted under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("deductions/runs/", api.RunListCreate.as_view(), name="api-deductions-runs"),
    path("deductions/runs/<int:pk>/", api.RunDetail.as_view(), name="api-deductions-run"),
    path(
        "deductions/runs/<int:pk>/regenerate/",
        api.RunRegenerate.as_view(),
        name="api-deductions-run-regenerate",
    ),
    path(
        "deductions/runs/<int:pk>/post-all/",
        api.RunPostAll.as_view(),
        name="api-deductions-run-post-all",
    ),
    path(
        "deductions/runs/<int:pk>/nothing-deducted/",
        api.RunNothingDeducted.as_view(),
        name="api-deductions-run-nothing-deducted",
    ),
    path(
        "deductions/runs/<int:pk>/export.<str:fmt>",
        api.RunExport.as_view(),
        name="api-deductions-export",
    ),
    path(
        "deductions/runs/<int:pk>/imports/",
        api.ImportCreate.as_view(),
        name="api-deductions-import-create",
    ),
    path("deductions/imports/<int:pk>/", api.ImportDetail.as_view(), name="api-deductions-import"),
    path(
        "deductions/imports/<int:pk>/<str:action>/",
        api.ImportAction.as_view(),
        name="api-deductions-import-action",
    ),
]
