"""The seeded plans' feature lists said what no plan enforces: the member portal as a
Sedang-and-up feature, several payroll agencies as Besar-only and priority support on
Tanpa Batas. Every plan has every feature; plans differ only by active members and staff
users (``max_members``, ``limits``). A list still as seeded (0002) is rewritten; one an
operator has edited is left as it is."""

from django.db import migrations

SEEDED = {
    "kecil": [
        "Sampai 100 anggota aktif",
        "Simpanan, pinjaman, potong gaji",
        "Buku besar dan laporan SAK EP",
        "3 pengguna pengurus",
    ],
    "sedang": [
        "Sampai 500 anggota aktif",
        "Semua fitur paket Kecil",
        "Portal anggota",
        "10 pengguna pengurus",
    ],
    "besar": [
        "Sampai 2.000 anggota aktif",
        "Semua fitur paket Sedang",
        "Beberapa instansi potong gaji",
        "Pengguna pengurus tanpa batas",
    ],
    "tanpa-batas": [
        "Anggota aktif tanpa batas",
        "Semua fitur paket Besar",
        "Dukungan prioritas",
    ],
}

AS_BUILT = {
    "kecil": [
        "Sampai 100 anggota aktif",
        "3 pengguna pengurus",
        "Semua fitur: simpanan, pinjaman, potong gaji (semua instansi), buku besar dan laporan SAK EP, SHU dan RAT, portal anggota",
    ],
    "sedang": [
        "Sampai 500 anggota aktif",
        "10 pengguna pengurus",
        "Semua fitur, sama dengan paket Kecil",
    ],
    "besar": [
        "Sampai 2.000 anggota aktif",
        "Pengguna pengurus tanpa batas",
        "Semua fitur, sama dengan paket Kecil",
    ],
    "tanpa-batas": [
        "Anggota aktif tanpa batas",
        "Pengguna pengurus tanpa batas",
        "Semua fitur, sama dengan paket Kecil",
    ],
}


def _rewrite(apps, old: dict, new: dict) -> None:
    Plan = apps.get_model("billing", "Plan")
    for code, features in new.items():
        Plan.objects.filter(code=code, features=old[code]).update(features=features)


def forwards(apps, schema_editor):
    _rewrite(apps, SEEDED, AS_BUILT)


def backwards(apps, schema_editor):
    _rewrite(apps, AS_BUILT, SEEDED)


class Migration(migrations.Migration):
    dependencies = [("billing", "0013_credit_note")]

    operations = [migrations.RunPython(forwards, backwards)]
