"""The operator console on the apex host (mounted at /konsol/, namespace "console")."""

from django.urls import path

from . import views

app_name = "console"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("masuk/", views.ConsoleLoginView.as_view(), name="login"),
    path("masuk/verifikasi/", views.login_verify, name="login-verify"),
    path("masuk/dua-langkah/", views.enrol, name="enrol"),
    path("keluar/", views.console_logout, name="logout"),
    path("koperasi/", views.tenant_list, name="tenants"),
    path("koperasi/<int:pk>/", views.tenant_detail, name="tenant"),
    path("koperasi/<int:pk>/tagihan/", views.tenant_invoices, name="tenant-invoices"),
    path("koperasi/<int:pk>/<slug:action>/", views.tenant_action, name="tenant-action"),
    path("koperasi-terhapus/", views.deleted_list, name="deleted"),
    path("pendaftaran-gagal/", views.signup_list, name="signups"),
    path("pendaftaran/<int:pk>/ulangi/", views.signup_retry, name="signup-retry"),
    path("kesehatan/", views.health, name="health"),
    path("migrasi/", views.migrate_start, name="migrate"),
    path("migrasi/<int:pk>/", views.migration_run, name="migration-run"),
    path("statistik/perbarui/", views.stats_refresh_now, name="stats-refresh"),
    path("syarat/", views.terms, name="terms"),
    path("syarat/umumkan/", views.terms_announce, name="terms-announce"),
    path("syarat/<int:pk>/kirim-ulang/", views.terms_resend, name="terms-resend"),
    path("pembina/", views.pembina_list, name="pembina"),
    path("pembina/baru/", views.pembina_new, name="pembina-new"),
    path("pembina/<int:pk>/<slug:action>/", views.pembina_active, name="pembina-active"),
]
