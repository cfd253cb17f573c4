"""Sign-up on the apex host, mounted at /daftar/."""

from django.urls import path

from . import views

app_name = "signup"

urlpatterns = [
    path("", views.signup_form, name="form"),
    path("cek-alamat/", views.slug_check, name="slug-check"),
    path("kabupaten/", views.regency_options, name="regencies"),
    path("verifikasi/<str:token>/", views.verify, name="verify"),
    path("status/<str:public_id>/", views.status, name="status"),
    path("status/<str:public_id>/kirim-ulang/", views.resend, name="resend"),
]
