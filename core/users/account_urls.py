"""One's own account (namespace "account"): profile, password, two-factor."""

from django.urls import path

from . import views

app_name = "account"
urlpatterns = [
    path("", views.profile, name="profile"),
    path("kata-sandi/", views.PasswordChangeView.as_view(), name="password"),
    path("dua-langkah/", views.two_factor, name="two-factor"),
    path("dua-langkah/matikan/", views.two_factor_disable, name="two-factor-disable"),
]
