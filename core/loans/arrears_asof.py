"""The arrears/PPAP run made from the screens (``loans:arrears_run``), and the close
guard that asks for it at a fiscal year's end.

As of today it is the daily run (``arrears.loans_arrears_update``): what rescues a day
the background job did not run. As of a past month's last day D whose month is still open
("per 31 Desember" made in January) the loans are read as they stood on D, with the
daily run's own grading statement (``arrears.GRADE_CTES`` and ``PPAP_SQL``):

- the loans running on D: disbursed on or before D, running today or closed after D;
- a row open on D: due before D and not settled by D (``settled_on`` after D, or not
  settled);
- the principal outstanding on D: today's plus the principal of the payments dated after
  D (an excess paid to principal included; a payment reversed since counts nothing), the
  deferred jasa likewise plus what those payments recognised of it.

What cannot be undone that way is refused, not approximated: a payment dated on or
before D reversed after it, a disbursement reversed after D, a reschedule or
restructuring after D (a top-up of a loan in arrears is one), a write-off after D.

The grade snapshot of D is written (what the RAT pack reads); the allowance is posted as
of D (one entry dated D for PPAP on D − the allowance account's balance on D) and, since
the loans' own columns stay today's, the opposite entry dated today, so the books from
today on agree with the loans' current PPAP again."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.dates import format_tanggal
from core.common.errors import ApplicationError
from core.ledger.models import FiscalYear, JournalEntry, Period
from core.ledger.selectors import account_for_role, totals_as_of
from core.ledger.services import journal_post
from core.loans.audit import LoanAudit
from core.users.models import User

from . import schedules as S
from .arrears import (
    GRADE_CTES,
    PPAP_SQL,
    grade_params,
    loans_arrears_update,
    ppap_change_lines,
    restructured_grades,
)
from .models import (
    ArrearsRun,
    Loan,
    LoanGradeSnapshot,
    LoanReversal,
    LoanSettings,
    Repayment,
    Reschedule,
)
from .services.common import LoanErrors

ZERO = Decimal("0")
R = User.Role
ARREARS_RUN_ROLES = frozenset({R.ADMIN, R.BENDAHARA})

# The loans running on D with their outstanding and deferred jasa on D, graded by the
# daily run's statement; a row settled after D was open on D
AS_OF_SQL = (
    """
WITH later AS (
    SELECT r.loan_id,
           SUM(r.principal + CASE WHEN r.excess_to = 'principal' THEN r.excess ELSE 0 END)
               AS principal,
           SUM(r.deferred_jasa_recognised) AS deferred_jasa
    FROM loans_repayment r
    WHERE r.paid_on > %(on)s
      AND NOT EXISTS (SELECT 1 FROM loans_loanreversal v WHERE v.repayment_id = r.id)
    GROUP BY r.loan_id
),
scope AS (
    SELECT l.id,
           l.principal_outstanding + COALESCE(a.principal, 0) AS outstanding,
           l.deferred_jasa + COALESCE(a.deferred_jasa, 0) AS deferred_jasa
    FROM loans_loan l LEFT JOIN later a ON a.loan_id = l.id
    WHERE l.disbursed_on <= %(on)s
      AND (l.status = 'disbursed' OR (l.status = 'closed' AND l.closed_on > %(on)s))
),"""
    + GRADE_CTES.format(open="(NOT i.settled OR i.settled_on > %(on)s)")
    + """
SELECT t.id, t.dpd, t.grade, t.outstanding, t.deferred_jasa, """
    + PPAP_SQL.format(base="t.outstanding - t.deferred_jasa", grade="t.grade")
    + """, l.restructured_grade
FROM target t JOIN loans_loan l ON l.id = t.id
ORDER BY t.id
"""
)


@dataclass
class ArrearsRunResult:
    """What a run from the screen did: the run, the entries it posted (dated the run's
    day, and for a past day the opposite one dated today), the PPAP before and after."""

    run: ArrearsRun
    as_of_past: bool
    ppap_before: Decimal
    ppap_after: Decimal
    entries: list[JournalEntry] = field(default_factory=list)


def loans_running_on(on: date):
    """The loans running on ``on``: disbursed by then, running today or closed after."""
    return Loan.objects.filter(disbursed_on__lte=on).filter(
        Q(status=Loan.Status.DISBURSED) | Q(status=Loan.Status.CLOSED, closed_on__gt=on)
    )


def arrears_run_dates(*, today: date | None = None) -> list[date]:
    """The dates a run may be made as of from the screen: today, then each past month's
    last day whose month is still open (latest first)."""
    today = today or timezone.localdate()
    ends = (
        Period.objects.filter(status=Period.Status.OPEN, end_date__lt=today)
        .order_by("-end_date")
        .values_list("end_date", flat=True)
    )
    return [today, *ends]


@transaction.atomic
def loans_arrears_run(*, on: date, by) -> ArrearsRunResult:
    """The arrears/PPAP run made by a person (bendahara, admin) as of ``on``: today (the
    daily run), or a past month's last day whose month is open (read as of that day,
    module docstring). Audited; refused with a specific error, nothing written, for any
    other day or when the loans cannot be read as of it."""
    if getattr(by, "role", None) not in ARREARS_RUN_ROLES:
        raise ApplicationError(
            LoanErrors.PERMISSION,
            _("Hanya bendahara atau admin yang dapat menjalankan perhitungan tunggakan."),
            status=403,
        )
    today = timezone.localdate()
    if on > today:
        raise ApplicationError(
            LoanErrors.ARREARS_DATE,
            _(
                "Perhitungan tunggakan per %(d)s belum dapat dibuat: tanggal itu belum "
                "lewat (hari ini %(t)s)."
            )
            % {"d": format_tanggal(on), "t": format_tanggal(today)},
            fields={"on": [_("Tanggal sesudah hari ini.")]},
        )
    if on == today:
        run = loans_arrears_update(on=on, by=by)
        return ArrearsRunResult(
            run, False, run.ppap_before, run.ppap_after, [run.entry] if run.entry else []
        )
    if (on + timedelta(days=1)).day != 1:
        raise ApplicationError(
            LoanErrors.ARREARS_DATE,
            _(
                "Perhitungan tunggakan untuk tanggal yang sudah lewat hanya per akhir bulan "
                "(misalnya 31 Desember); %(d)s bukan akhir bulan. Untuk hari ini pilih "
                "tanggal hari ini."
            )
            % {"d": format_tanggal(on)},
            fields={"on": [_("Bukan akhir bulan.")]},
        )
    period = Period.objects.filter(start_date__lte=on, end_date__gte=on).first()
    if period is None or period.status != Period.Status.OPEN:
        raise ApplicationError(
            LoanErrors.ARREARS_PERIOD_CLOSED,
            _(
                "Perhitungan tunggakan per %(d)s tidak dapat dibuat: bulan itu sudah ditutup "
                "(atau belum ada di pembukuan), jadi penyisihan PPAP per tanggal itu tidak "
                "dapat diposting. Tidak ada yang ditulis."
            )
            % {"d": format_tanggal(on)},
            fields={"on": [_("Bulan sudah ditutup.")]},
        )
    return _run_as_of(on=on, today=today, by=by)


def _run_as_of(*, on: date, today: date, by) -> ArrearsRunResult:
    started = time.perf_counter()
    st = LoanSettings.objects.select_for_update().get_or_create(id=1)[0]  # one run at a time
    _refuse_unreadable(on)
    params = grade_params(st) | {"on": on}
    with connection.cursor() as cur:
        cur.execute(AS_OF_SQL, params)
        rows = cur.fetchall()
    restructured = {pk: (rg, grade) for pk, _d, grade, _o, _j, _p, rg in rows if rg}
    floors = restructured_grades(st, restructured, on) if restructured else {}
    snapshots = []
    for pk, dpd, grade, outstanding, deferred, ppap, rg in rows:
        if pk in floors and floors[pk] != grade:
            grade = floors[pk]
            rate = params[f"r_{grade.value}"]
            ppap = S.ppap_amount(outstanding - deferred, grade, {grade: rate})
        snapshots.append(
            LoanGradeSnapshot(
                on=on,
                loan_id=pk,
                kolektibilitas=grade,
                days_past_due=dpd,
                principal_outstanding=outstanding,
                ppap_amount=ppap,
                deferred_jasa=deferred,
                restructured=bool(rg),
            )
        )
    LoanGradeSnapshot.objects.filter(on=on).delete()
    LoanGradeSnapshot.objects.bulk_create(snapshots)
    after = sum((s.ppap_amount for s in snapshots), ZERO)
    allowance = account_for_role("ppap_allowance")
    debit, credit = totals_as_of(on, account_ids=[allowance.pk]).get(allowance.pk, (ZERO, ZERO))
    before = credit - debit  # the allowance (credit side) on D, as the books say
    run = ArrearsRun.objects.create(
        on=on,
        kind=ArrearsRun.Kind.AS_OF,
        loans=len(snapshots),
        ppap_before=before,
        ppap_after=after,
    )
    entries = []
    diff = after - before
    if diff != 0:
        lines, desc = ppap_change_lines(diff=diff, on=on)
        back, _desc = ppap_change_lines(diff=-diff, on=on)  # the same lines, sides swapped
        run.entry = journal_post(
            on=on, description=desc, lines=lines, source="loan", source_ref=f"ppap:{run.pk}", by=by
        )
        entries.append(run.entry)
        # the loans' own PPAP stays today's: from today the books agree with it again
        entries.append(
            journal_post(
                on=today,
                description=_("Balik PPAP per %(d)s: penyisihan kembali ke PPAP pinjaman hari ini")
                % {"d": on.isoformat()},
                lines=back,
                source="loan",
                source_ref=f"ppap:{run.pk}:back",
                by=by,
            )
        )
    run.seconds = Decimal(str(round(time.perf_counter() - started, 3)))
    run.save(update_fields=["entry", "seconds"])
    audit_log(
        actor=by,
        action=LoanAudit.ARREARS_RUN,
        target=run,
        data={
            "on": on.isoformat(),
            "as_of_past": True,
            "made_on": today.isoformat(),
            "loans": len(snapshots),
            "allowance_on": str(before),
            "ppap_on": str(after),
            "entries": [e.pk for e in entries],
        },
    )
    return ArrearsRunResult(run, True, before, after, entries)


# the loans named in the refusal's ``fields`` per kind of change (the message names three)
UNREADABLE_LOANS_LISTED = 100


def _refuse_unreadable(on: date) -> None:
    """Refuse (nothing written) when something after ``on`` cannot be undone by reading
    dates: each kind named in the message with up to three loans' numbers, and in
    ``fields["loans"]`` every such loan ("<number>: <what>", up to
    ``UNREADABLE_LOANS_LISTED`` per kind), for the API's client."""
    running = loans_running_on(on)
    ids = running.values("id")
    found: list[tuple[str, list[str]]] = []
    listed: list[str] = []

    def numbers(qs) -> list[str]:
        return list(
            qs.order_by("number")
            .values_list("number", flat=True)
            .distinct()[:UNREADABLE_LOANS_LISTED]
        )

    checks = [
        (
            _("pembayaran bertanggal sampai %(d)s dibatalkan sesudahnya"),
            Loan.objects.filter(
                pk__in=LoanReversal.objects.filter(
                    loan_id__in=ids, on__gt=on, repayment__paid_on__lte=on
                ).values("loan_id")
            ),
        ),
        (
            _("pencairan dibatalkan sesudah %(d)s"),
            Loan.objects.filter(
                pk__in=LoanReversal.objects.filter(
                    on__gt=on, kind=LoanReversal.Kind.DISBURSEMENT, entry__date__lte=on
                ).values("loan_id")
            ),
        ),
        (
            _("penjadwalan ulang atau restrukturisasi sesudah %(d)s"),
            Loan.objects.filter(
                Q(pk__in=Reschedule.objects.filter(loan_id__in=ids, on__gt=on).values("loan_id"))
                | Q(pk__in=ids, restructured_on__gt=on)
                | Q(
                    pk__in=Repayment.objects.filter(
                        loan_id__in=ids,
                        paid_on__gt=on,
                        channel=Repayment.Channel.TOPUP,
                        jasa_deferred__gt=0,
                    ).values("loan_id")
                )
            ),
        ),
        (
            _("penghapusbukuan sesudah %(d)s"),
            running.filter(closed_by=Loan.ClosedBy.WRITEOFF),
        ),
    ]
    for what, qs in checks:
        nums = numbers(qs)
        if nums:
            shown = ", ".join(nums[:3]) + (", …" if len(nums) > 3 else "")
            what = what % {"d": format_tanggal(on)}
            found.append((what, shown))
            listed += [f"{n}: {what}" for n in nums]
    if found:
        what = "; ".join(_("%(what)s (pinjaman %(n)s)") % {"what": w, "n": n} for w, n in found)
        raise ApplicationError(
            LoanErrors.ARREARS_AS_OF_UNREADABLE,
            _(
                "Perhitungan tunggakan per %(d)s tidak dapat dibuat dari data sekarang: "
                "%(what)s. Keadaan pinjaman itu pada %(d)s tidak dapat dibaca kembali dengan "
                "pasti, dan Lumbung tidak menaksirnya. Tidak ada yang ditulis. Hubungi "
                "dukungan Lumbung; kami dapat membantu membuat perhitungan per tanggal itu."
            )
            % {"d": format_tanggal(on), "what": what},
            fields={"loans": listed},
            status=409,
        )


def arrears_close_refusal(up_to: date) -> ApplicationError | None:
    """Why the books may not be closed up to ``up_to`` (``core.ledger.close_guards``,
    registered in ``apps.py``): at a fiscal year's last day (December's close, the year
    close), while loans were running on it and no arrears run is dated it (loans brought
    in at a move-in cut over on that day or later not counted). The RAT pack's
    collectibility is that run's snapshot, and once December is closed the run can no
    longer post its allowance."""
    if not FiscalYear.objects.filter(end_date=up_to).exists():
        return None
    if ArrearsRun.objects.filter(on=up_to).exists():
        return None
    # a loan brought in at a move-in whose cut-over is this day came with its grade and
    # PPAP from the old books (its opening entry, dated the cut-over): go-live closes
    # December without a run. One brought in at a later cut-over (a January one, its
    # December still open here) ran on this day in the old books, not in these: a run
    # dated it would post PPAP before the opening that already holds it
    running = (
        loans_running_on(up_to)
        .exclude(
            disbursement_entry__source=JournalEntry.Source.OPENING,
            disbursement_entry__date__gte=up_to,
        )
        .count()
    )
    if not running:
        return None
    return ApplicationError(
        LoanErrors.ARREARS_RUN_MISSING,
        _(
            "Buku tidak dapat ditutup sampai %(u)s: perhitungan tunggakan dan PPAP per "
            "%(u)s belum dibuat, padahal %(n)s pinjaman berjalan pada tanggal itu. "
            "Kolektibilitas dan PPAP akhir tahun (laporan RAT) dibaca dari perhitungan itu, "
            "dan sesudah Desember ditutup perhitungan itu tidak dapat diposting lagi. Tidak "
            "ada yang ditutup. Buat dulu perhitungan per %(u)s di Pinjaman, Laporan, Proses "
            "tunggakan dan PPAP, lalu tutup lagi."
        )
        % {"u": format_tanggal(up_to), "n": running},
        status=409,
    )
