"""Previews of the move-in's uploads (*Periksa dulu*, then *Simpan*): the confirm form is
small whatever the file's size, so a preview of the largest cooperative's file can be
confirmed; what is confirmed is checked again."""

import re
from datetime import date
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.utils import timezone

from core.members.models import Agency, Member
from core.onboarding.services import move_in_start
from core.savings.models import CapitalBalanceBroughtIn
from tests.members import factories as f

from .test_screens import csv_file, login

URL = "/pindah/"
# a cut-over on 31 December: the eleven month-ends January to November are the old books'
CUTOVER = date(timezone.localdate().year - 1, 12, 31)
# the largest cooperatives: about 20,000 members, each with eleven month-ends in step 4b
LARGEST_ROWS = 20_000 * 11


def bulk_members(n: int, tag: str) -> list[Member]:
    """``n`` members made at once (not through the service: only their numbers and dates
    matter here)."""
    agency = Agency.objects.get_or_create(code="DISDIK", defaults={"name": "Dinas Pendidikan"})[0]
    made = []
    for i in range(n):
        nip, nik = f.unique_ids()
        made.append(
            Member(
                number=f"{tag}{i:05d}",
                full_name=f"Anggota {tag} {i}",
                nip=nip,
                nik=nik,
                agency=agency,
                join_date=date(2015, 1, 2),
            )
        )
    return Member.objects.bulk_create(made)


def capital_csv(members: list[Member]) -> tuple[str, int]:
    """Month-ends January to November of each member, amounts as the old books would have
    them (wajib growing every month, some sukarela)."""
    lines = ["no anggota;nama;bulan;pokok;wajib;sukarela"]
    for i, m in enumerate(members):
        for month in range(1, 12):
            wajib = 1_250_000 + (i % 37) * 25_000 + month * (50_000 + i % 7 * 5_000)
            sukarela = "" if i % 3 else str(300_000 + i * 1_013 % 900_000 + month * 12_500)
            lines.append(f"{m.number};{m.full_name};{month};100.000;{wajib};{sukarela}")
    return "\n".join(lines) + "\n", len(lines) - 1


def confirm_form(page: str, action: str) -> dict:
    """The hidden fields of the preview's confirm form (what *Simpan daftar ini* posts)."""
    form = next(
        fm for fm in re.findall(r"<form\b.*?</form>", page, re.S) if f'value="{action}"' in fm
    )
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))


@pytest.fixture
def mi(by):
    return move_in_start(cutover_date=CUTOVER, by=by)


def test_largest_capital_preview_confirms_with_a_small_form(staff, mi):
    members = bulk_members(200, "BSR")
    text, rows = capital_csv(members)
    assert rows == 2_200
    c = login(staff["bendahara"])
    r = c.post(
        URL,
        {
            "action": "capital_balances",
            "move_in": mi.pk,
            "mode": "preview",
            "file": csv_file(text, "modal.csv"),
        },
    )
    page = r.content.decode()
    assert "Berkas ini akan menyimpan 2200 saldo akhir bulan untuk 200 anggota." in page
    fields = confirm_form(page, "capital_balances_confirm")
    body = len(urlencode(fields))
    # the form grows at most with the rows: the largest cooperative's must still be a body
    # Django accepts (DATA_UPLOAD_MAX_MEMORY_SIZE, 2.5 MB), else *Simpan* is a 400
    assert body * LARGEST_ROWS / rows < settings.DATA_UPLOAD_MAX_MEMORY_SIZE, body
    assert body < 1024
    assert not CapitalBalanceBroughtIn.objects.filter(member__in=members).exists()
    r = c.post(URL, fields, follow=True)
    assert (
        f"Saldo modal akhir bulan {CUTOVER.year} dari pembukuan lama disimpan: 200 anggota, "
        "2200 saldo akhir bulan." in r.content.decode()
    )
    assert CapitalBalanceBroughtIn.objects.filter(member__in=members).count() == 2_200
