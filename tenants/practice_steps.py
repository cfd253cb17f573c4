"""The guided first month in a practice copy: five steps, each ticked when the practice
schema's own data shows it was done since the copy was made or last reset (never
self-declared). Reads the current (practice) schema only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Min
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.audit.models import AuditEvent
from core.deductions.models import DeductionImport
from core.loans.models import Loan
from core.members.models import MemberImport
from core.savings.models import SavingsTransaction

# Written in the practice schema when the trial balance is shown there
# (tenants.middleware.PracticeMiddleware).
TRIAL_BALANCE_READ = "practice.trial_balance_read"


@dataclass
class Step:
    code: str
    title: Promise
    help: Promise
    url: str
    done_at: datetime | None

    @property
    def done(self) -> bool:
        return self.done_at is not None


def _url(name: str, **kwargs) -> str:
    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return ""


def _first(qs, field: str = "created_at") -> datetime | None:
    return qs.aggregate(t=Min(field))["t"]


def practice_steps(*, since: datetime) -> list[Step]:
    """The steps with the time each was first done on or after ``since``."""
    return [
        Step(
            "members_import",
            _("Impor anggota"),
            _("Unggah daftar anggota dari XLSX/CSV (unduh templatnya) dan impor."),
            _url("members:import"),
            _first(
                MemberImport.objects.filter(
                    status=MemberImport.Status.IMPORTED, imported_at__gte=since
                ),
                "imported_at",
            ),
        ),
        Step(
            "deposit",
            _("Setor simpanan"),
            _("Di Teller, catat setoran simpanan seorang anggota dan cetak kuitansinya."),
            _url("savings:teller"),
            _first(
                SavingsTransaction.objects.filter(
                    kind=SavingsTransaction.Kind.DEPOSIT, created_at__gte=since
                )
            ),
        ),
        Step(
            "loan",
            _("Buat pinjaman"),
            _("Ajukan pinjaman untuk seorang anggota, lalu verifikasi, setujui dan cairkan."),
            _url("loans:list"),
            _first(Loan.objects.filter(created_at__gte=since)),
        ),
        Step(
            "deduction",
            _("Jalankan potong gaji"),
            _("Unggah hasil potong gaji sebuah instansi untuk bulan ini dan posting."),
            _url("deductions:runs"),
            _first(
                DeductionImport.objects.filter(
                    status=DeductionImport.Status.POSTED, posted_at__gte=since
                ),
                "posted_at",
            ),
        ),
        Step(
            "trial_balance",
            _("Baca neraca saldo"),
            _("Buka laporan neraca saldo dan lihat hasil transaksi Anda di buku besar."),
            _url("ledger:report", kind="neraca-saldo"),
            _first(AuditEvent.objects.filter(action=TRIAL_BALANCE_READ, created_at__gte=since)),
        ),
    ]
