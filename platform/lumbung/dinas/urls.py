"""The Dinas Koperasi view on the apex host (mounted at /dinas/, namespace "dinas")."""

from django.urls import path

from . import views

app_name = "dinas"
urlpatterns = [
    path("", views.table, name="table"),
    path("masuk/", views.DinasLoginView.as_view(), name="login"),
    path("masuk/verifikasi/", views.login_verify, name="login-verify"),
    path("masuk/dua-langkah/", views.enrol, name="enrol"),
    path("keluar/", views.dinas_logout, name="logout"),
    path("koperasi/<int:pk>/", views.profile, name="profile"),
    path("koperasi/<int:pk>/kementerian/", views.ministry_cooperative, name="ministry-coop"),
    path("kementerian/", views.ministry_area, name="ministry"),
]
