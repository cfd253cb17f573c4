"""Billing on the apex host (mounted at /billing/): the Stripe webhook and the
operators' minimal transfer-confirmation screen."""

from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("webhooks/stripe/<str:token>/", views.stripe_webhook, name="stripe-webhook"),
    path("operator/transfer/", views.operator_transfers, name="operator-transfers"),
    path(
        "operator/transfer/<int:pk>/konfirmasi/",
        views.operator_transfer_confirm,
        name="operator-transfer-confirm",
    ),
    path(
        "operator/transfer/<int:pk>/<str:decision>/",
        views.operator_transfer_decide,
        name="operator-transfer-decide",
    ),
    path("operator/bukti/<int:pk>/", views.operator_proof, name="operator-proof"),
    path(
        "operator/tagihan/<path:number>/pdf/",
        views.operator_invoice_pdf,
        name="operator-invoice-pdf",
    ),
    path(
        "operator/nota-retur/<int:pk>/pdf/",
        views.operator_credit_note_pdf,
        name="operator-credit-note-pdf",
    ),
    path("operator/efaktur/", views.operator_efaktur, name="operator-efaktur"),
    path("operator/paket/", views.operator_plans, name="operator-plans"),
    path("operator/paket/baru/", views.operator_plan_edit, name="operator-plan-new"),
    path("operator/paket/<int:pk>/", views.operator_plan_edit, name="operator-plan-edit"),
]
