"""The member portal (namespace "portal"), for logins with role anggota."""

from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("transaksi/", views.transactions, name="transactions"),
    path("pinjaman/", views.loan_list, name="loans"),
    path("pinjaman/simulasi/", views.simulate, name="simulate"),
    path("pinjaman/<int:pk>/", views.loan_detail, name="loan"),
    path("potong-gaji/", views.deductions, name="deductions"),
    path("shu/", views.shu, name="shu"),
]
