"""REST API of core.members, mounted under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("agencies/", api.AgencyListCreate.as_view(), name="api-agencies"),
    path("agencies/<int:pk>/", api.AgencyDetail.as_view(), name="api-agency"),
    path("members/", api.MemberListCreate.as_view(), name="api-members"),
    path("members/<int:pk>/", api.MemberDetail.as_view(), name="api-member"),
    path("members/rejoin-check/", api.MemberRejoinCheck.as_view(), name="api-member-rejoin-check"),
]
