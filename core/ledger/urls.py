"""HTML screens of core.ledger (namespace "ledger"), mounted at /buku-besar/."""

from django.urls import path

from . import views

app_name = "ledger"
urlpatterns = [
    path("", views.index, name="index"),
    path("akun/", views.accounts, name="accounts"),
    path("akun/<int:pk>/", views.account_edit, name="account_edit"),
    path("akun/<int:pk>/buku-besar/", views.account_ledger, name="account_ledger"),
    path(
        "akun/<int:pk>/buku-besar/berkas/",
        views.account_ledger_export_request,
        name="account_ledger_export_request",
    ),
    path(
        "akun/<int:pk>/buku-besar/berkas/<int:export_pk>/",
        views.account_ledger_export,
        name="account_ledger_export",
    ),
    path("jurnal/", views.journal, name="journal"),
    path("jurnal/baru/", views.journal_new, name="journal_new"),
    path("jurnal/<int:pk>/", views.entry_detail, name="entry"),
    path("jurnal/permintaan/<int:pk>/", views.manual_request, name="manual_request"),
    path("laporan/", views.reports_index, name="reports"),
    path("laporan/<slug:kind>/", views.report, name="report"),
    path("periode/", views.periods, name="periods"),
]
