"""URLs on a cooperative's host (<slug>.<BASE_DOMAIN>)."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import IsAdminUser

from core.common import views as common_views
from core.common.permissions import RolePermission
from core.members import urls as member_urls
from core.overview.views import member_detail
from core.portal import views as portal_views
from core.savings import member_import_views
from core.users import views as user_views
from tenants import views as tenant_signup_views

from . import views

urlpatterns = [
    path("", views.tenant_home, name="home"),
    # Authentication: password, then (when enrolled) a TOTP code; lockout by django-axes.
    path("masuk/", user_views.LoginView.as_view(), name="login"),
    path("masuk/verifikasi/", user_views.login_verify, name="login-verify"),
    # The one-time link that logs a cooperative's first admin in after self sign-up.
    path("masuk/sekali/<str:token>/", tenant_signup_views.token_login, name="signup-token-login"),
    # A member activates their own portal login; admins invite members in bulk.
    path("masuk/aktifkan/", portal_views.activate, name="portal-activate"),
    path(
        "masuk/aktifkan/<str:token>/",
        portal_views.activate_confirm,
        name="portal-activate-confirm",
    ),
    path("pengguna/undang-anggota/", portal_views.invite_members, name="portal-invite"),
    path("keluar/", auth_views.LogoutView.as_view(), name="logout"),
    path("lupa-sandi/", user_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "lupa-sandi/terkirim/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "atur-sandi/<uidb64>/<token>/",
        user_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "atur-sandi/selesai/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("akun/", include("core.users.account_urls")),
    path("pengguna/", include("core.users.urls")),
    path("pengaturan/", views.settings_home, name="settings"),
    path("pengaturan/dinas/", include("core.sharing.urls")),
    path("pengaturan/latihan/", include("tenants.urls_practice")),
    path("audit/", include("core.audit.urls")),
    path("portal/", include("core.portal.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("terbilang/", login_required(common_views.rupiah_words), name="terbilang"),
    path("langganan/", include("billing.urls")),
    path("dukungan/", include("lumbung.console.urls_tenant")),
    # the OpenAPI document for staff roles and their API keys (as the API itself), not
    # for visitors or members
    path(
        "api/schema/",
        SpectacularAPIView.as_view(permission_classes=[RolePermission]),
        name="api-schema",
    ),
    # Swagger UI for logged-in staff (is_staff), served from our own static files
    # (drf-spectacular-sidecar); the split view keeps its script out of the page (CSP).
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", permission_classes=[IsAdminUser]
        ),
        name="api-docs",
    ),
    path("api/v1/", include("lumbung.api_urls")),
    path("buku-besar/", include("core.ledger.urls")),
    # the member page (core.overview) and the member import (core.savings) join the
    # members' namespace here: they use apps above core.members (docs/architecture.md)
    path(
        "anggota/",
        include(
            (
                [
                    *member_urls.urlpatterns,
                    path("<int:pk>/", member_detail, name="detail"),
                    path("impor/", member_import_views.member_import, name="import"),
                    path(
                        "impor/<int:pk>/",
                        member_import_views.member_import_detail,
                        name="import_detail",
                    ),
                    path(
                        "impor/templat.<str:fmt>",
                        member_import_views.import_template,
                        name="import_template",
                    ),
                ],
                member_urls.app_name,
            )
        ),
    ),
    path("anggota/", include("core.exits.urls")),
    path("simpanan/", include("core.savings.urls")),
    path("pinjaman/", include("core.loans.urls")),
    path("potong-gaji/", include("core.deductions.urls")),
    path("tutup-buku/", include("core.yearend.urls")),
    path("pindah/", include("core.onboarding.urls")),
    path("cari/", include("core.overview.urls")),
]
