from django.urls import path

from . import views

app_name = "onboarding"
urlpatterns = [
    path("", views.wizard, name="wizard"),
    path("templat/<str:kind>.xlsx", views.template, name="template"),
]
