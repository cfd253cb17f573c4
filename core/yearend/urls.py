from django.urls import path

from . import views

app_name = "yearend"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:year>/", views.year_view, name="year"),
    path("<int:year>/tutup-ulang/", views.reclose, name="reclose"),
    path("<int:year>/pratinjau/", views.preview_view, name="preview"),
    path("<int:year>/shu-pembukuan-lama.xlsx", views.old_books_template, name="old_books_template"),
    path("<int:year>/rat/", views.rat_view, name="rat"),
    path("pembayaran/<int:pk>/batalkan/", views.payout_reverse, name="payout_reverse"),
    path("kuitansi/<int:pk>.pdf", views.payout_receipt, name="payout_receipt"),
    path("<int:year>/rat.<str:fmt>", views.rat_download, name="rat_download"),
]
