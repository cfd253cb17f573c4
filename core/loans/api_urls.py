"""REST API of core.loans, mounted under /api/v1/."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import api, api_arrears

router = SimpleRouter()
router.register("loans/products", api.ProductViewSet, basename="loan-product")
router.register("loans/repayments", api.RepaymentViewSet, basename="loan-repayment")
router.register("loans/write-offs", api.WriteOffViewSet, basename="loan-write-off")
router.register("loans/arrears-runs", api_arrears.ArrearsRunViewSet, basename="loan-arrears-run")
router.register("loans", api.LoanViewSet, basename="loan")

urlpatterns = [
    path("loans/simulate/", api.SimulateView.as_view(), name="loan-simulate"),
    path("loans/settings/", api.SettingsView.as_view(), name="loan-settings"),
    path("", include(router.urls)),
]
