"""Support access on a cooperative's host (mounted at /dukungan/, namespace "support")."""

from django.urls import path

from . import views_tenant

app_name = "support"
urlpatterns = [
    path("", views_tenant.support_sessions, name="sessions"),
    path("masuk/<str:token>/", views_tenant.support_enter, name="enter"),
    path("akhiri/", views_tenant.support_end, name="end"),
]
