"""HTML screens of core.members (namespace "members"). The member page itself
(``members:detail``) gathers every app's data, so it lives in ``core.overview`` and the
project URLconf adds it to this namespace."""

from django.urls import path

from . import views

app_name = "members"
urlpatterns = [
    path("", views.member_list, name="list"),
    path("baru/", views.member_create, name="create"),
    path("baru/cek-nip-nik/", views.member_rejoin_status, name="rejoin_status"),
    path("<int:pk>/ubah/", views.member_edit, name="edit"),
    path("instansi/", views.agency_list, name="agencies"),
    path("instansi/baru/", views.agency_edit, name="agency_create"),
    path("instansi/<int:pk>/", views.agency_edit, name="agency_edit"),
]
