"""HTML screens of core.savings (namespace "savings")."""

from django.urls import path

from . import views

app_name = "savings"
urlpatterns = [
    path("", views.account_list, name="accounts"),
    path("rekening/<int:pk>/", views.account_detail, name="account"),
    path("rekening/<int:pk>/cair-dini/", views.early_withdraw, name="early_withdraw"),
    path("rekening/<int:pk>/blokir/", views.account_freeze, name="account_freeze"),
    path("teller/", views.teller, name="teller"),
    path("transaksi/<int:pk>/batal/", views.transaction_reverse, name="transaction_reverse"),
    path("teller/rekap/", views.teller_summary, name="teller_summary"),
    path("kuitansi/<int:pk>.pdf", views.receipt, name="receipt"),
    path("kartu/<int:member_pk>/", views.statement, name="statement"),
    path("rekonsiliasi/", views.reconciliation, name="reconciliation"),
    path("pph/", views.interest_tax, name="interest_tax"),
    path("jasa/<int:pk>/batal/", views.interest_run_reverse, name="interest_reverse"),
    path("produk/", views.product_list, name="products"),
    path("produk/baru/", views.product_create, name="product_create"),
    path("produk/<int:pk>/", views.product_edit, name="product"),
]
