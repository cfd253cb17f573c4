"""The members list as CSV for Excel: an 18-digit NIP, a 16-digit NIK and a phone number
written so that Excel shows them as text (``="…"``), not 1,97E+17 rounded nor a phone
without its + or leading 0 — and the same file reads back through Lumbung's own
importer with the same NIP."""

import csv
import io
from datetime import date

from django.db import connection
from django.test import Client

from core.common.spreadsheet import nip_cell, read_workbook
from core.members.models import Member
from core.savings.member_import import COLUMN_NAMES, member_import_run, member_import_upload
from tenants.services import tenant_host

from . import factories as f


def _export(tenant, user) -> bytes:
    c = Client(HTTP_HOST=tenant_host(tenant.slug))
    c.force_login(user)
    r = c.get("/anggota/", {"export": "csv"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    return r.content


def test_members_csv_writes_nip_nik_and_phone_as_excel_text(in_tenant_a, tenant_a):
    user = f.user("bendahara")
    m = f.member(phone="+6281234567890", full_name="Siti Aminah")
    rows = list(csv.reader(io.StringIO(_export(tenant_a, user).decode("utf-8-sig"))))
    header, row = rows[0], next(r for r in rows[1:] if r[1] == "Siti Aminah")
    cell = dict(zip(header, row, strict=True))
    assert cell["NIP"] == f'="{m.nip}"'
    assert cell["NIK"] == f'="{m.nik}"'
    assert cell["Telepon"] == '="+6281234567890"'
    assert cell["Nama"] == "Siti Aminah" and cell["Nomor"] == m.number


def test_members_csv_reads_back_through_the_importer_with_the_same_nip(
    in_tenant_a, tenant_a, tenant_b
):
    """Exported from one cooperative, turned into the import template without touching
    the cells, imported into another: the same NIP, NIK and phone."""
    user = f.user("bendahara")
    m = f.member(phone="+6281234567890", full_name="Siti Aminah")
    content = _export(tenant_a, user)
    # the shared reader gives the NIP as it was, digits and all
    book = read_workbook(content=content, file_name="anggota.csv")
    header = book.sheets[0].rows[0].cells
    row = next(r.cells for r in book.sheets[0].rows[1:] if r.cells[1] == "Siti Aminah")
    exported = dict(zip(header, row, strict=True))
    assert nip_cell(exported["NIP"]) == m.nip
    # the import template's columns, the exported cells as they are (="…" included)
    raw = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    cells = dict(zip(raw[0], next(r for r in raw[1:] if r[1] == "Siti Aminah"), strict=True))
    template = {
        "nama_lengkap": cells["Nama"],
        "nip": cells["NIP"],
        "nik": cells["NIK"],
        "kode_instansi": "DISDIK",
        "tanggal_masuk": cells["Tanggal masuk"],
        "telepon": cells["Telepon"],
    }
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([c for c in COLUMN_NAMES if c in template])
    w.writerow([template[c] for c in COLUMN_NAMES if c in template])
    connection.set_tenant(tenant_b)
    from core.savings.seeding import savings_products_seed

    savings_products_seed()
    f.agency("DISDIK", "Dinas Pendidikan")
    by = f.user("bendahara")
    batch = member_import_upload(content=buf.getvalue().encode(), file_name="a.csv", by=by)
    assert batch.status == "valid", batch.errors
    member_import_run(batch=batch, opening_date=date(2026, 1, 1), by=by)
    back = Member.objects.get(full_name="Siti Aminah")
    assert (back.nip, back.nik, back.phone) == (m.nip, m.nik, "+6281234567890")
