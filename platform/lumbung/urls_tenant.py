"""URLs on a cooperative's host (<slug>.<BASE_DOMAIN>)."""

from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import views

urlpatterns = [
    path("", views.tenant_home, name="home"),
    path("masuk/", auth_views.LoginView.as_view(), name="login"),
    path("keluar/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("lumbung.api_urls")),
    path("buku-besar/", include("core.ledger.urls")),
    path("anggota/", include("core.members.urls")),
    path("simpanan/", include("core.savings.urls")),
    path("pinjaman/", include("core.loans.urls")),
    path("potong-gaji/", include("core.deductions.urls")),
]
