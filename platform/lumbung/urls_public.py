"""URLs on the apex host (the public site; later the operator console)."""

from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from core.common import views as common_views

from . import views

urlpatterns = [
    path("", views.public_home, name="public-home"),
    # The apex's login (LOGIN_URL, "Operator Lumbung" on the public site) is the
    # console's: password, then the TOTP code. Never a password-only login here.
    path(
        "masuk/",
        RedirectView.as_view(pattern_name="console:login", query_string=True),
        name="login",
    ),
    path("keluar/", auth_views.LogoutView.as_view(), name="logout"),
    path("masuk-koperasi/", views.public_login, name="public-login"),
    path("syarat-dan-ketentuan/", views.public_terms, name="terms"),
    path("syarat-dan-ketentuan/<str:version>/", views.public_terms, name="terms-version"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("terbilang/", common_views.rupiah_words, name="terbilang"),
    path("daftar/", include("tenants.urls")),
    path("billing/", include("billing.urls_public")),
    path("konsol/", include("lumbung.console.urls")),
    path("dinas/", include("lumbung.dinas.urls")),
]
