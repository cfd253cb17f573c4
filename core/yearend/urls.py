from django.urls import path

from . import views

app_name = "yearend"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:year>/", views.year_view, name="year"),
    path("<int:year>/pratinjau/", views.preview_view, name="preview"),
]
