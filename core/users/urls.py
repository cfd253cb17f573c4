"""Users and roles (namespace "users"), for the cooperative's admin; pengawas reads."""

from django.urls import path

from . import views

app_name = "users"
urlpatterns = [
    path("", views.user_list, name="list"),
    path("baru/", views.user_create, name="create"),
    path("<int:pk>/", views.user_edit, name="edit"),
    path("<int:pk>/status/", views.user_set_active, name="set-active"),
    path("<int:pk>/reset-dua-langkah/", views.user_reset_2fa, name="reset-2fa"),
    path("kunci-api/", views.api_key_list, name="api-keys"),
    path("kunci-api/<int:pk>/cabut/", views.api_key_revoke, name="api-key-revoke"),
]
