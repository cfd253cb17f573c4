"""Billing on the cooperative's host (mounted at /langganan/)."""

from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("", views.tenant_billing, name="tenant"),
    path("paket/", views.tenant_plan_change, name="plan-change"),
    path("bayar/", views.tenant_pay, name="pay"),
    path("kelola/", views.tenant_manage, name="manage"),
    path("npwp/", views.tenant_tax_details, name="tax-details"),
    path("tagihan/<path:number>/pdf/", views.tenant_invoice_pdf, name="invoice-pdf"),
    path("nota-retur/<path:number>/pdf/", views.tenant_credit_note_pdf, name="credit-note-pdf"),
    path("transfer/<path:number>/bukti/", views.tenant_proof_upload, name="proof-upload"),
]
