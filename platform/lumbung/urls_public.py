"""URLs on the apex host (the public site; later the operator console)."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from core.users.forms import LoginForm

from . import views

urlpatterns = [
    path("", views.public_home, name="public-home"),
    # after a login on the apex the operator console (LOGIN_REDIRECT_URL "home" exists only
    # on a cooperative's host)
    path(
        "masuk/",
        auth_views.LoginView.as_view(next_page="console:overview", authentication_form=LoginForm),
        name="login",
    ),
    path("keluar/", auth_views.LogoutView.as_view(), name="logout"),
    path("masuk-koperasi/", views.public_login, name="public-login"),
    path("syarat-dan-ketentuan/", views.public_terms, name="terms"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("daftar/", include("tenants.urls")),
    path("billing/", include("billing.urls_public")),
    path("konsol/", include("lumbung.console.urls")),
    path("dinas/", include("lumbung.dinas.urls")),
]
