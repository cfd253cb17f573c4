"""HTML screens of core.deductions (namespace "deductions")."""

from django.urls import path

from . import views

app_name = "deductions"
urlpatterns = [
    path("", views.runs, name="runs"),
    path("pengaturan/", views.settings_view, name="settings"),
    path("<int:pk>/", views.run_detail, name="run"),
    path("<int:pk>/progres/", views.run_progress, name="run_progress"),
    path("<int:pk>/progres-posting/", views.run_posting_progress, name="run_posting_progress"),
    path("<int:pk>/unduh.<str:fmt>", views.run_export, name="export"),
    path("<int:pk>/rekonsiliasi/", views.reconcile, name="reconcile"),
    path("impor/<int:pk>/", views.import_detail, name="import"),
    path("anggota/<int:member_pk>/", views.member_history, name="member_history"),
]
