"""REST API of core.onboarding, mounted under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("onboarding/", api.MoveInView.as_view(), name="api-onboarding"),
    path(
        "onboarding/trial-balance/",
        api.TrialBalanceView.as_view(),
        name="api-onboarding-trial-balance",
    ),
    path("onboarding/loans/", api.LoansView.as_view(), name="api-onboarding-loans"),
    path(
        "onboarding/shu-contributions/",
        api.ShuContributionsView.as_view(),
        name="api-onboarding-shu-contributions",
    ),
    path(
        "onboarding/capital-balances/",
        api.CapitalBalancesView.as_view(),
        name="api-onboarding-capital-balances",
    ),
    path(
        "onboarding/reconciliation/",
        api.ReconciliationView.as_view(),
        name="api-onboarding-reconciliation",
    ),
    path(
        "onboarding/adjustments/",
        api.AdjustmentView.as_view(),
        name="api-onboarding-adjustments",
    ),
    path(
        "onboarding/go-live-check/",
        api.GoLiveCheckView.as_view(),
        name="api-onboarding-go-live-check",
    ),
    path("onboarding/go-live/", api.GoLiveView.as_view(), name="api-onboarding-go-live"),
    path("onboarding/undo/", api.UndoView.as_view(), name="api-onboarding-undo"),
    path(
        "onboarding/templates/<str:kind>.xlsx",
        api.TemplateView.as_view(),
        name="api-onboarding-template",
    ),
]
