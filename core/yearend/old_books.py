"""The members' unpaid SHU of a year before the books started in Lumbung (a cooperative
that moved in: Pindah ke Lumbung), brought in per member so that it is paid out as any
year's SHU — the year page's payout, its receipt, the portal, the exit settlement.

The move-in's opening trial balance brings that SHU in as one figure on *SHU Bagian
Anggota Belum Dibayar* (lines naming no member). That account is a control account
(ledger 0028): its balance is the posted shares' unpaid total, every rupiah a member's.
``shu_old_books_bring_in`` takes the old books' SHU list of one year (per member JMA and
JUA, as the old RAT approved them) and assigns that figure to the members: one entry,
source ``shu``, Dr the account with no member / Cr the account per member, and a posted
``YearEnd`` of that year marked ``old_books`` holding the shares (``MemberShare``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.dates import format_tanggal
from core.common.errors import ApplicationError
from core.common.money import RupiahError, format_rupiah, parse_rupiah
from core.common.permissions import TREASURY
from core.ledger.models import Account, JournalEntry, JournalLine
from core.ledger.selectors import account_for_role
from core.ledger.services import LineSpec, journal_post
from core.members.models import Member
from core.yearend.audit import YearEndAudit

from .errors import YearEndErrors as E
from .models import MemberShare, YearEnd
from .selectors import shu_settings_for, shu_settings_snapshot

ZERO = Decimal("0")


def shu_unassigned() -> Decimal:
    """What *SHU Bagian Anggota Belum Dibayar* holds on lines naming no member (credit −
    debit): the old books' unpaid SHU a move-in brought in as one figure, not yet
    assigned to members. Zero when every rupiah of the account is a member's."""
    payable = account_for_role("shu_members_payable")
    t = JournalLine.objects.filter(account=payable, member_id__isnull=True).aggregate(
        d=Sum("debit"), c=Sum("credit")
    )
    return (t["c"] or ZERO) - (t["d"] or ZERO)


def _amount(value: Any, label: str) -> Decimal:
    """A whole non-negative rupiah (empty or ``-``: 0); ``RupiahError`` naming ``label``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ZERO
    return parse_rupiah(value, field=label, allow_dash_zero=True)


def old_books_rows_read(text: str) -> list[dict[str, str]]:
    """The year page's list as typed or pasted from a spreadsheet: a line per member,
    ``nomor anggota``, ``jasa modal``, ``jasa usaha`` separated by a tab or ``;`` (a
    pasted block keeps Excel's tabs). Blank lines are skipped; each line keeps its place
    so that a row error names it."""
    rows = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        cells = [c.strip() for c in (line.split("\t") if "\t" in line else line.split(";"))]
        cells += [""] * (3 - len(cells))
        rows.append({"member_number": cells[0], "jma": cells[1], "jua": cells[2]})
    return rows


def old_books_eligible(*, year: int) -> bool:
    """Whether the year page offers bringing in ``year``'s unpaid SHU from the old
    books: the account holds SHU naming no member, the year is over, not in the year
    end, and has no entries in Lumbung but opening balances."""
    return (
        date(year, 12, 31) < timezone.localdate()
        and not YearEnd.objects.filter(year=year).exists()
        and _booked_in_lumbung(year) is None
        and shu_unassigned() > 0
    )


def _booked_in_lumbung(year: int) -> JournalEntry | None:
    """The first entry dated in ``year`` that is not an opening balance, if any."""
    return (
        JournalEntry.objects.filter(date__gte=date(year, 1, 1), date__lte=date(year, 12, 31))
        .exclude(source=JournalEntry.Source.OPENING)
        .order_by("date", "pk")
        .first()
    )


@transaction.atomic
def shu_old_books_bring_in(
    *,
    year: int,
    rat_date: date | None,
    rat_decision: str,
    rows: list[dict[str, Any]],
    by,
    on: date | None = None,
) -> YearEnd:
    """Bring in the unpaid SHU of fiscal year ``year`` of the old books, per member:
    ``rows`` = ``[{"member_number", "jma", "jua"}, ...]`` (whole rupiah, ``1.234.567``
    accepted), the shares the old RAT of ``rat_date`` (decision ``rat_decision``)
    approved and not paid by the cut-over. Posted ``on`` (default today) as one entry
    moving that much of the account's lines naming no member onto the members; the year
    becomes a posted year marked ``old_books`` whose shares are paid out as any year's.

    Refused, nothing written: a year Lumbung has books for (an entry dated in it other
    than opening balances), one already in the year end, not ended yet; the RAT's date
    or decision missing or the date not after the year; a row error (unknown member,
    a member twice, an amount that is not whole non-negative rupiah, a share of 0),
    each named by its row; more than the account holds on lines naming no member
    (``shu_old_books_exceeds_unassigned``: the opening trial balance brings that
    figure in first)."""
    if getattr(by, "role", None) not in TREASURY:
        raise ApplicationError(
            E.NOT_ALLOWED,
            _("Anda tidak berwenang %(w)s.") % {"w": _("membawa SHU dari pembukuan lama")},
            status=403,
        )
    today = timezone.localdate()
    on = on or today
    if not isinstance(year, int) or year < 1900 or date(year, 12, 31) >= today:
        raise ApplicationError(
            E.OLD_BOOKS_YEAR,
            _("Tahun buku %(y)s belum berakhir; SHU-nya belum dapat dibawa.") % {"y": year},
            fields={"year": [_("Tahun buku yang sudah berakhir.")]},
        )
    if YearEnd.objects.filter(year=year).exists():
        raise ApplicationError(
            E.OLD_BOOKS_YEAR,
            _(
                "Tahun buku %(y)s sudah ada di Tutup buku & SHU Lumbung; SHU-nya dibagi "
                "dan dibayar di sana."
            )
            % {"y": year},
            fields={"year": [_("Sudah ada di Lumbung.")]},
            status=409,
        )
    booked = _booked_in_lumbung(year)
    if booked is not None:
        raise ApplicationError(
            E.OLD_BOOKS_YEAR,
            _(
                "Tahun buku %(y)s dibukukan di Lumbung (jurnal %(e)s tanggal %(d)s); SHU-nya "
                "dibagi lewat tutup buku tahun itu, bukan dari pembukuan lama."
            )
            % {"y": year, "e": booked, "d": format_tanggal(booked.date)},
            fields={"year": [_("Dibukukan di Lumbung.")]},
            status=409,
        )
    errors: dict[str, Any] = {}
    rat_decision = (rat_decision or "").strip()
    if not isinstance(rat_date, date):
        errors["rat_date"] = [_("Tanggal RAT wajib diisi.")]
    elif rat_date <= date(year, 12, 31):
        errors["rat_date"] = [_("RAT diadakan sesudah tahun buku berakhir.")]
    elif rat_date > on:
        errors["rat_date"] = [_("RAT sesudah tanggal posting %(d)s.") % {"d": format_tanggal(on)}]
    if not rat_decision:
        errors["rat_decision"] = [_("Nomor keputusan RAT wajib diisi.")]
    elif len(rat_decision) > YearEnd._meta.get_field("rat_decision").max_length:
        errors["rat_decision"] = [_("Paling panjang 100 karakter.")]
    if not rows:
        errors["rows"] = [_("Tidak ada anggota.")]
    if errors:
        raise ApplicationError(
            E.OLD_BOOKS_INVALID, _("Data SHU pembukuan lama tidak lengkap."), fields=errors
        )
    numbers = [str(r.get("member_number") or "").strip() for r in rows]
    members = {m.number: m for m in Member.objects.filter(number__in=numbers)}
    row_errors: list[str] = []
    seen: dict[str, int] = {}
    shares: list[tuple[Member, Decimal, Decimal]] = []
    for n, (row, number) in enumerate(zip(rows, numbers, strict=True), start=1):
        problems = []
        member = members.get(number)
        if member is None:
            problems.append(_("Anggota '%(m)s' tidak dikenal.") % {"m": number})
        elif number in seen:
            problems.append(
                _("Anggota %(m)s sudah ada di baris %(r)s.") % {"m": number, "r": seen[number]}
            )
        else:
            seen[number] = n
        amounts = []
        for key, label in (("jma", _("Jasa modal")), ("jua", _("Jasa usaha"))):
            try:
                amounts.append(_amount(row.get(key), label))
            except RupiahError as exc:
                problems.append(exc.text)
        if len(amounts) == 2 and sum(amounts) == 0:
            problems.append(_("SHU anggota ini Rp 0; tidak ada yang dibawa."))
        if problems:
            row_errors.append(
                _("Baris %(n)s: %(p)s") % {"n": n, "p": " ".join(str(p) for p in problems)}
            )
        elif member is not None:
            shares.append((member, amounts[0], amounts[1]))
    if row_errors:
        raise ApplicationError(
            E.OLD_BOOKS_INVALID,
            _("SHU pembukuan lama tidak dibawa: %(n)s baris salah.") % {"n": len(row_errors)},
            fields={"rows": row_errors},
        )
    total = sum((jma + jua for _m, jma, jua in shares), ZERO)
    # the account locked: two lists brought in at once (two years) never assign the
    # same rupiah twice; the second reads what the first left
    Account.objects.select_for_update().filter(
        pk=account_for_role("shu_members_payable").pk
    ).first()
    unassigned = shu_unassigned()
    if total > unassigned:
        payable = account_for_role("shu_members_payable")
        raise ApplicationError(
            E.OLD_BOOKS_EXCEEDS,
            _(
                "SHU yang dibawa %(t)s melebihi saldo %(a)s yang belum bernama anggota "
                "(%(u)s, dari neraca saldo awal pindah ke Lumbung). Periksa daftar SHU "
                "atau neraca saldo awalnya."
            )
            % {
                "t": format_rupiah(total),
                "a": f"{payable.code} {payable.name}",
                "u": format_rupiah(unassigned),
            },
            status=409,
        )
    payable = account_for_role("shu_members_payable")
    memo = _("SHU %(y)s (pembukuan lama)") % {"y": year}
    lines = [LineSpec(payable, debit=total, memo=memo)]
    lines += [
        LineSpec(payable, credit=jma + jua, member_id=m.pk, memo=f"SHU {year}")
        for m, jma, jua in shares
    ]
    entry = journal_post(
        on=on,
        description=_(
            "SHU tahun %(y)s dari pembukuan lama per anggota (%(n)s anggota, keputusan RAT %(d)s)"
        )
        % {"y": year, "n": len(shares), "d": rat_decision},
        lines=lines,
        source=JournalEntry.Source.SHU,
        source_ref=f"yearend:{year}:old-books",
        by=by,
    )
    ye = YearEnd.objects.create(
        year=year,
        status=YearEnd.Status.POSTED,
        old_books=True,
        shu_before_tax=ZERO,
        shu_after_tax=ZERO,
        # the payout follows the cooperative's settings of today (the old books' are not
        # known); kept as a close keeps them
        settings_snapshot=shu_settings_snapshot(shu_settings_for(year=today.year)),
        rat_date=rat_date,
        rat_decision=rat_decision,
        funds={"members_total": str(total)},
        posting_entry=entry,
        posted_at=timezone.now(),
        posted_by=by if getattr(by, "is_authenticated", False) else None,
    )
    MemberShare.objects.bulk_create(
        [
            MemberShare(
                year_end=ye,
                member=m,
                capital=ZERO,
                contribution=ZERO,
                jma=jma,
                jua=jua,
                total=jma + jua,
            )
            for m, jma, jua in shares
        ]
    )
    audit_log(
        actor=by,
        action=YearEndAudit.SHU_OLD_BOOKS,
        target=ye,
        data={
            "entry": str(entry),
            "members": len(shares),
            "total": str(total),
            "unassigned_before": str(unassigned),
            "rat_date": rat_date.isoformat(),
            "rat_decision": rat_decision,
        },
    )
    return ye
