"""HTML screens of core.members (namespace "members")."""

from django.urls import path

from core.overview import views as overview_views
from core.savings import views as savings_views

from . import views

app_name = "members"
urlpatterns = [
    path("", views.member_list, name="list"),
    path("baru/", views.member_create, name="create"),
    path("<int:pk>/", overview_views.member_detail, name="detail"),
    path("<int:pk>/ubah/", views.member_edit, name="edit"),
    path("<int:member_pk>/keluar/", savings_views.exit_settlement, name="exit"),
    path("instansi/", views.agency_list, name="agencies"),
    path("instansi/baru/", views.agency_edit, name="agency_create"),
    path("instansi/<int:pk>/", views.agency_edit, name="agency_edit"),
    path("impor/", views.member_import, name="import"),
    path("impor/<int:pk>/", views.member_import_detail, name="import_detail"),
    path("impor/templat.<str:fmt>", views.import_template, name="import_template"),
]
