"""HTML screens of core.loans (namespace "loans"), mounted at /pinjaman/."""

from django.urls import path

from . import views

app_name = "loans"
urlpatterns = [
    path("", views.loan_list_view, name="list"),
    path("simulasi/", views.simulate_view, name="simulate"),
    path("ajukan/", views.apply_view, name="apply"),
    path("produk/", views.products_view, name="products"),
    path("produk/baru/", views.product_edit_view, name="product_new"),
    path("produk/<int:pk>/", views.product_edit_view, name="product_edit"),
    path("pengaturan/", views.settings_view, name="settings"),
    path("laporan/", views.reports_view, name="reports"),
    path("laporan/tunggakan/proses/", views.arrears_run_view, name="arrears_run"),
    path("laporan/<slug:kind>/", views.report_view, name="report"),
    path("kuitansi/<int:pk>/", views.receipt_view, name="receipt"),
    path("kuitansi/<int:pk>/batalkan/", views.repayment_reverse_view, name="repayment_reverse"),
    path("kuitansi/<int:pk>.pdf", views.receipt_pdf, name="receipt_pdf"),
    path("penerimaan/<int:pk>/", views.recovery_receipt_view, name="recovery_receipt"),
    path("penerimaan/<int:pk>.pdf", views.recovery_receipt_pdf, name="recovery_receipt_pdf"),
    path("penerimaan/<int:pk>/batalkan/", views.recovery_reverse_view, name="recovery_reverse"),
    path("dokumen/<int:pk>/", views.document_view, name="document"),
    path("<int:pk>/", views.loan_detail_view, name="detail"),
    path("<int:pk>/kartu/", views.card_view, name="card"),
    path("<int:pk>/perjanjian.pdf", views.agreement_pdf, name="agreement_pdf"),
    path("<int:pk>/bukti-pencairan.pdf", views.voucher_pdf, name="voucher_pdf"),
    path("<int:pk>/<slug:action>/", views.loan_action_view, name="action"),
]
