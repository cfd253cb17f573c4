"""Exit settlement screens, mounted under the member pages (``/anggota/<id>/keluar/``)."""

from django.urls import path

from . import views

app_name = "exits"
urlpatterns = [
    path("<int:member_pk>/keluar/", views.exit_settlement, name="settle"),
    path(
        "<int:member_pk>/keluar/batalkan/",
        views.exit_settlement_reverse_view,
        name="reverse",
    ),
]
