"""An English reader sees English: a walk over representative pages of the staff app and
the member portal (and the exports and the statement PDF printed in the reader's
language), with the demo's books, in English, finds none of a list of Indonesian words
outside data. ``test_translations`` finds msgids without English; this finds text that
never became a msgid (a hard-coded label, a lookup table of Indonesian words, a msgid
hidden from makemessages).

Data is what the cooperative typed or the demo seeded (names of members, agencies,
products and accounts, journal and transaction memos, stored descriptions): every text
value of the cooperative's tables is taken out of a page before it is read. Documents the
cooperative issues (receipts, agreements, the agencies' deduction letters, financial
statements) are Indonesian whatever the reader's language, by design, and are not walked.
"""

import io
import re
from html.parser import HTMLParser

import openpyxl
import pypdf
import pytest
from django.apps import apps
from django.db import connection, models
from django.test import Client

from core.deductions.models import DeductionRun
from core.deductions.seeding import deductions_demo_seed
from core.ledger.seeding import ledger_demo_seed
from core.loans.models import Loan
from core.loans.seeding import loans_demo_seed
from core.savings.seeding import savings_demo_seed
from core.users.models import User
from tenants.management.commands.seed_demo import demo_member_login
from tenants.services import tenant_host
from tests.module_coop import module_uncommitted
from tests.webapp.conftest import make_user

# Indonesian words an English page never shows (the terms the English UI keeps, such as
# jasa, simpanan wajib, pokok, SHU, golongan, are left out of the list).
MARKERS = frozenset(
    (
        "dan",
        "yang",
        "tidak",
        "untuk",
        "dengan",
        "belum",
        "sudah",
        "tanggal",
        "bayar",
        "tunggakan",
        "pinjaman",
        "anggota",
        "kolektibilitas",
        "lancar",
        "diragukan",
        "macet",
        "sehat",
        "pencairan",
        "penerimaan",
        "ketua",
        "bendahara",
        "simpan",
        "batal",
        "hapus",
        "ubah",
        "cari",
        "unduh",
        "cetak",
        "laporan",
        "atas",
        "opsional",
        "instansi",
        "rekening",
        "setoran",
        "penarikan",
        "denda",
        "sisa",
        "keterangan",
        "kolom",
        "kosongkan",
        "sesuai",
        "terdaftar",
        "utuh",
        "awal",
    )
)

STAFF_PAGES = [
    "/",
    "/anggota/",
    "/anggota/{member}/",
    "/anggota/instansi/",
    "/anggota/impor/",
    "/anggota/impor/templat.xlsx",
    "/anggota/?export=xlsx",
    "/simpanan/",
    "/simpanan/teller/",
    "/simpanan/kartu/{member}/",
    "/simpanan/kartu/{member}/?format=pdf",
    "/simpanan/produk/",
    "/pinjaman/",
    "/pinjaman/?export=xlsx",
    "/pinjaman/ajukan/",
    "/pinjaman/{loan}/",
    "/pinjaman/{loan}/kartu/",
    "/pinjaman/laporan/",
    "/pinjaman/laporan/outstanding/",
    "/pinjaman/laporan/outstanding/?format=xlsx",
    "/pinjaman/laporan/collectibility/",
    "/pinjaman/laporan/arrears/",
    "/potong-gaji/",
    "/potong-gaji/{run}/",
    "/buku-besar/akun/",
    "/buku-besar/jurnal/",
    "/buku-besar/laporan/",
    "/buku-besar/periode/",
    "/pengguna/",
    "/pengguna/baru/",
    "/audit/",
    "/pengaturan/",
]
PORTAL_PAGES = [
    "/portal/",
    "/portal/transaksi/",
    "/portal/pinjaman/",
    "/portal/pinjaman/{loan}/",
    "/portal/potong-gaji/",
    "/portal/shu/",
]


class _VisibleText(HTMLParser):
    """The text a reader sees: text nodes outside scripts and styles, and the attributes
    read out or shown (placeholder, title, aria-label, alt)."""

    HIDDEN = {"script", "style", "template"}

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self._hidden += 1
        for name, value in attrs:
            if name in ("placeholder", "title", "aria-label", "alt") and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.parts.append(data.strip())


def visible_text(response) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    kind = response["Content-Type"]
    if "html" in kind:
        parser = _VisibleText()
        parser.feed(body.decode())
        return "\n".join(parser.parts)
    if "spreadsheet" in kind:
        book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
        return "\n".join(
            str(cell)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
            if isinstance(cell, str)
        )
    if "pdf" in kind:
        return "\n".join(p.extract_text() or "" for p in pypdf.PdfReader(io.BytesIO(body)).pages)
    raise AssertionError(f"unexpected content type {kind}")


def data_values() -> list[str]:
    """Every text value stored in the cooperative's tables (free text only: a choice's
    stored key is not data a page shows), longest first so a long name goes before a
    word inside it."""
    values: set[str] = set()
    for model in apps.get_models():
        if model._meta.app_label in ("tenants", "billing", "sessions", "admin", "contenttypes"):
            continue
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField)) and not f.choices
        ]
        if not fields or model._meta.db_table not in connection.introspection.table_names():
            continue
        for row in model.objects.values_list(*fields).distinct():
            values.update(v for v in row if v and len(v) >= 3)
    values.add(connection.tenant.name)
    return sorted(values, key=len, reverse=True)


def indonesian_words(text: str, data: list[str]) -> list[str]:
    found = []
    for line in text.splitlines():
        for value in data:
            if value in line:
                line = line.replace(value, " ")
        found += [
            f"{word!r} in {line.strip()!r}"
            for word in re.findall(r"[a-zA-Z_]+", line)  # a column key (kode_instansi) is one
            if word.lower() in MARKERS
        ]
    return found


@pytest.fixture(scope="module")
def demo_books(django_db_blocker, tmp_path_factory):
    """The demo's books (seed_demo's seeders: agencies, 60 members, savings, loans in every
    state, a posted payroll month and this month's list) in cooperative A, with a login
    of each staff role and the demo's member login."""

    def build():
        staff = {
            role: make_user(role, email=f"{role}@english.test")
            for role in ("admin", "ketua", "bendahara", "petugas", "pengawas")
        }
        ledger_demo_seed(cooperative=connection.tenant)
        savings_demo_seed()
        loans_demo_seed()
        deductions_demo_seed()
        member_user, member = demo_member_login(admin=staff["admin"])
        loan = Loan.objects.filter(member=member).order_by("pk").first()
        return {
            "staff": {role: user.pk for role, user in staff.items()},
            "anggota": member_user.pk,
            "ids": {
                "member": member.pk,
                "loan": loan.pk,
                "run": DeductionRun.objects.order_by("pk").first().pk,
            },
            "data": data_values(),
        }

    with module_uncommitted(django_db_blocker, tmp_path_factory, build) as books:
        yield books


def english_client(tenant, user_pk: int) -> Client:
    client = Client(HTTP_HOST=tenant_host(tenant.slug))
    client.force_login(User.objects.get(pk=user_pk))
    client.cookies["django_language"] = "en"
    return client


def _walk(demo_books, tenant, user_pk: int, pages: list[str]) -> list[str]:
    client = english_client(tenant, user_pk)
    found = []
    for page in pages:
        path = page.format(**demo_books["ids"])
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        found += [
            f"{path}: {hit}" for hit in indonesian_words(visible_text(response), demo_books["data"])
        ]
    return found


def test_staff_pages_in_english_show_no_indonesian_words(demo_books, in_tenant_a):
    found = _walk(demo_books, in_tenant_a, demo_books["staff"]["admin"], STAFF_PAGES)
    assert not found, "Indonesian on English pages:\n" + "\n".join(found)


def test_portal_pages_in_english_show_no_indonesian_words(demo_books, in_tenant_a):
    found = _walk(demo_books, in_tenant_a, demo_books["anggota"], PORTAL_PAGES)
    assert not found, "Indonesian on English pages:\n" + "\n".join(found)


def test_the_walk_sees_indonesian_and_leaves_data_out():
    data = ["Peralatan dan Inventaris Kantor"]
    assert indonesian_words("Account 1203 Peralatan dan Inventaris Kantor", data) == []
    assert indonesian_words("Status Lancar", data) == ["'Lancar' in 'Status Lancar'"]
    assert indonesian_words("Required columns: nama_lengkap, kode_instansi", data) == []
