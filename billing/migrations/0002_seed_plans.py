from decimal import Decimal

from django.db import migrations

PLANS = [
    {
        "code": "kecil",
        "name": "Kecil",
        "max_members": 100,
        "price_monthly": Decimal("150000"),
        "price_yearly": Decimal("1500000"),
        "features": [
            "Sampai 100 anggota aktif",
            "Simpanan, pinjaman, potong gaji",
            "Buku besar dan laporan SAK EP",
            "3 pengguna pengurus",
        ],
        "limits": {"staff_users": 3},
        "sort_order": 10,
    },
    {
        "code": "sedang",
        "name": "Sedang",
        "max_members": 500,
        "price_monthly": Decimal("350000"),
        "price_yearly": Decimal("3500000"),
        "features": [
            "Sampai 500 anggota aktif",
            "Semua fitur paket Kecil",
            "Portal anggota",
            "10 pengguna pengurus",
        ],
        "limits": {"staff_users": 10},
        "sort_order": 20,
    },
    {
        "code": "besar",
        "name": "Besar",
        "max_members": 2000,
        "price_monthly": Decimal("750000"),
        "price_yearly": Decimal("7500000"),
        "features": [
            "Sampai 2.000 anggota aktif",
            "Semua fitur paket Sedang",
            "Beberapa instansi potong gaji",
            "Pengguna pengurus tanpa batas",
        ],
        "limits": {"staff_users": None},
        "sort_order": 30,
    },
    {
        "code": "tanpa-batas",
        "name": "Tanpa Batas",
        "max_members": None,
        "price_monthly": Decimal("1500000"),
        "price_yearly": Decimal("15000000"),
        "features": [
            "Anggota aktif tanpa batas",
            "Semua fitur paket Besar",
            "Dukungan prioritas",
        ],
        "limits": {"staff_users": None},
        "sort_order": 40,
    },
]


def seed(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    for row in PLANS:
        Plan.objects.update_or_create(code=row["code"], defaults=row)


def unseed(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    Plan.objects.filter(code__in=[p["code"] for p in PLANS], subscriptions__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
