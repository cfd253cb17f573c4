"""The members' unpaid SHU of a year before the books started in Lumbung (a cooperative
that moved in: Pindah ke Lumbung), brought in per member so that it is paid out as any
year's SHU — the year page's payout, its receipt, the portal, the exit settlement.

The move-in's opening trial balance brings that SHU in as one figure on *SHU Bagian
Anggota Belum Dibayar* (lines naming no member). That account is a control account
(ledger 0028): its balance is the posted shares' unpaid total, every rupiah a member's.
``shu_old_books_bring_in`` takes the old books' SHU list of one year (per member JMA and
JUA, as the old RAT approved them) and assigns that figure to the members: one entry,
source ``shu``, Dr the account with no member / Cr the account per member, and a posted
``YearEnd`` of that year marked ``old_books`` holding the shares (``MemberShare``).

``shu_old_books_undo`` takes a bring-in back (a share typed wrong) while none of its
shares was used: its entry is reversed by the ledger's reversal (a mirror entry linked
to it; its lines stay), the year and its shares are removed, and the year can be
brought in again (each bring-in its own entry: ``yearend:<year>:old-books``, then
``...:old-books:2`` and on)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.dates import format_tanggal
from core.common.errors import REASON_MAX_LENGTH, ApplicationError, reason_required
from core.common.money import RupiahError, format_rupiah, parse_rupiah
from core.common.permissions import TREASURY
from core.common.spreadsheet import (
    SheetError,
    cell_plain_text,
    cell_rupiah,
    find_header,
    norm_header,
    read_workbook,
    split_rows,
    split_rows_message,
    totals_label,
)
from core.ledger.models import Account, JournalEntry, JournalLine
from core.ledger.selectors import account_for_role
from core.ledger.services import LineSpec, journal_post, journal_reverse
from core.members.models import Member
from core.yearend.audit import YearEndAudit

from .errors import YearEndErrors as E
from .models import MemberShare, ShuPayout, YearEnd
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


@dataclass
class OldBooksRow:
    """One row of an old books' SHU list as checked: where it came from (``n``: the
    pasted line's place, or the sheet's row number), the member (None: unknown), the
    amounts (None: unreadable) and the row's error (empty: fine)."""

    n: int
    number: str
    member: Member | None
    jma: Decimal | None
    jua: Decimal | None
    error: str = ""

    @property
    def total(self) -> Decimal | None:
        return None if self.jma is None or self.jua is None else self.jma + self.jua


def old_books_rows_check(rows: list[dict[str, Any]]) -> list[OldBooksRow]:
    """Each row of ``rows`` (``{"member_number", "jma", "jua"}``, optionally ``"row"``:
    the number its error names, and ``"problems"``: what reading its cells found) with
    its member and amounts, or its error: an unknown member, a member twice, an amount
    that is not whole non-negative rupiah, a share of 0. Shared by the bring-in and its
    preview; writes nothing."""
    numbers = [str(r.get("member_number") or "").strip() for r in rows]
    members = {m.number: m for m in Member.objects.filter(number__in=numbers)}
    seen: dict[str, int] = {}
    out: list[OldBooksRow] = []
    for i, (row, number) in enumerate(zip(rows, numbers, strict=True), start=1):
        n = row.get("row") or i
        problems = [str(p) for p in row.get("problems") or []]
        member = members.get(number)
        if member is None:
            problems.append(_("Anggota '%(m)s' tidak dikenal.") % {"m": number})
        elif number in seen:
            problems.append(
                _("Anggota %(m)s sudah ada di baris %(r)s.") % {"m": number, "r": seen[number]}
            )
        else:
            seen[number] = n
        amounts: list[Decimal | None] = []
        for key, label in (("jma", _("Jasa modal")), ("jua", _("Jasa usaha"))):
            if key in (row.get("unread") or ()):  # its cell's problem is in ``problems``
                amounts.append(None)
                continue
            try:
                amounts.append(_amount(row.get(key), label))
            except RupiahError as exc:
                amounts.append(None)
                problems.append(exc.text)
        if None not in amounts and sum(amounts) == 0:
            problems.append(_("SHU anggota ini Rp 0; tidak ada yang dibawa."))
        out.append(
            OldBooksRow(
                n=n,
                number=number,
                member=member,
                jma=amounts[0],
                jua=amounts[1],
                error=_("Baris %(n)s: %(p)s") % {"n": n, "p": " ".join(problems)}
                if problems
                else "",
            )
        )
    return out


# the file's columns: the template's titles (Indonesian, or English when the template
# was downloaded in English) and the names old lists give them, compared as
# ``norm_header`` makes them ("No. Anggota" -> "noanggota")
FILE_COLUMNS = {
    "member_number": ("nomoranggota", "noanggota", "membernumber"),
    "jma": ("jasamodal", "jma", "shujasamodal", "capitalshare"),
    "jua": ("jasausaha", "jua", "jasaanggota", "shujasausaha", "patronageshare"),
}


def _column(header: list[str], key: str) -> int | None:
    return next((i for i, h in enumerate(header) if h in FILE_COLUMNS[key]), None)


def _file_refused(message: str) -> ApplicationError:
    return ApplicationError(E.OLD_BOOKS_INVALID, message, fields={"file": [message]})


def old_books_upload_read(upload) -> list[dict[str, Any]]:
    """``old_books_file_read`` of an uploaded file (the page's or the API's), refused
    before it is read when it is missing or larger than uploads may be."""
    if upload is None or not getattr(upload, "size", 0):
        raise _file_refused(_("Pilih berkas daftar SHU (.xlsx atau .csv)."))
    if upload.size > settings.UPLOAD_MAX_BYTES:
        raise _file_refused(
            _("Berkas terlalu besar (maksimal %(mb)s MB).")
            % {"mb": settings.UPLOAD_MAX_BYTES // (1024 * 1024)}
        )
    return old_books_file_read(content=upload.read(), file_name=upload.name or "")


def old_books_file_read(*, content: bytes, file_name: str) -> list[dict[str, Any]]:
    """The old books' SHU list from an uploaded XLSX or CSV (the template's or the old
    system's own): the row titled *Nomor anggota*, *Jasa modal* and *Jasa usaha* (below
    a title block, on any sheet), then a row per member, each kept with its sheet row
    number for its error. Skipped: blank rows, the template's ``#`` lines, a member
    whose two amounts are both empty (listed, no SHU), a totals row under the list.
    A cell that cannot be read (a formula with no value, a percent format, a control
    character) is the row's error. ``ApplicationError`` (``shu_old_books_invalid``,
    on ``file``) when the file as a whole cannot be read."""

    if not content:
        raise _file_refused(_("Pilih berkas daftar SHU (.xlsx atau .csv)."))
    try:
        book = read_workbook(content=content, file_name=file_name)
    except SheetError as exc:
        raise _file_refused(exc.message) from exc
    found = find_header(
        book, lambda cells: all(_column(cells, k) is not None for k in FILE_COLUMNS)
    )
    if found is None:
        raise _file_refused(
            _(
                "Judul kolom tidak ditemukan: daftar SHU perlu kolom 'Nomor anggota', "
                "'Jasa modal' dan 'Jasa usaha' (unduh templatnya)."
            )
        )
    sheet, at = found
    split = split_rows(book, sheet, at)
    if split:
        raise _file_refused(split_rows_message(split))
    header = [norm_header(c) for c in sheet.rows[at].cells]
    col = {k: _column(header, k) for k in FILE_COLUMNS}
    rows: list[dict[str, Any]] = []
    for r in sheet.rows[at + 1 :]:
        first = r.get(col["member_number"])
        if r.blank or (isinstance(first, str) and first.strip().startswith("#")):
            continue
        if r.blank_at([col["jma"], col["jua"]]):
            continue  # listed without SHU (the template lists every member)
        if r.blank_at([col["member_number"]]) and any(totals_label(c) for c in r.cells):
            continue  # the list's totals row
        row: dict[str, Any] = {"row": r.number, "problems": [], "unread": set()}
        try:
            row["member_number"] = cell_plain_text(first, label=_("Nomor anggota"))
        except ValidationError as exc:
            row["member_number"] = ""
            row["problems"].extend(exc.messages)
        for key, label in (("jma", _("Jasa modal")), ("jua", _("Jasa usaha"))):
            value = r.get(col[key])
            try:
                row[key] = "" if r.blank_at([col[key]]) else str(cell_rupiah(value, label=label))
            except ValidationError as exc:
                row[key] = ""
                row["unread"].add(key)
                row["problems"].extend(exc.messages)
        rows.append(row)
    if not rows:
        raise _file_refused(
            _("Daftar SHU di berkas ini kosong: tidak ada anggota dengan jumlah SHU.")
        )
    return rows


@dataclass
class OldBooksPreview:
    """What a bring-in would do, before anything is written: each row checked, the
    total of the good ones against the balance naming no member."""

    rows: list[OldBooksRow]
    total: Decimal
    unassigned: Decimal

    @property
    def errors(self) -> list[str]:
        return [r.error for r in self.rows if r.error]

    @property
    def exceeds(self) -> bool:
        return self.total > self.unassigned

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.errors and not self.exceeds

    @property
    def rows_text(self) -> str:
        """The list as the year page's form posts it (``old_books_rows_read``)."""
        return "\n".join(
            f"{r.number};{r.jma.quantize(Decimal(1))};{r.jua.quantize(Decimal(1))}"
            for r in self.rows
            if not r.error and r.jma is not None and r.jua is not None
        )


def old_books_preview(*, rows: list[dict[str, Any]]) -> OldBooksPreview:
    """The preview of bringing ``rows`` in (``shu_old_books_bring_in``'s row checks,
    the total against ``shu_unassigned``); writes nothing."""
    checked = old_books_rows_check(rows)
    total = sum((r.total for r in checked if not r.error and r.total is not None), ZERO)
    return OldBooksPreview(rows=checked, total=total, unassigned=shu_unassigned())


def old_books_eligible(*, year: int, unassigned: Decimal | None = None) -> bool:
    """Whether the year page offers bringing in ``year``'s unpaid SHU from the old
    books: the account holds SHU naming no member (``unassigned``: ``shu_unassigned()``
    when the caller has read it already), the year is over, not in the year end, and has
    no entries in Lumbung but opening balances."""
    return (
        date(year, 12, 31) < timezone.localdate()
        and not YearEnd.objects.filter(year=year).exists()
        and _booked_in_lumbung(year) is None
        and (shu_unassigned() if unassigned is None else unassigned) > 0
    )


def _booked_in_lumbung(year: int) -> JournalEntry | None:
    """The first entry dated in ``year`` that is not an opening balance, if any."""
    return (
        JournalEntry.objects.filter(date__gte=date(year, 1, 1), date__lte=date(year, 12, 31))
        .exclude(source=JournalEntry.Source.OPENING)
        .order_by("date", "pk")
        .first()
    )


def _bring_in_ref(year: int) -> str:
    """The bring-in entry's reference: ``yearend:<year>:old-books``; after it was undone
    (``shu_old_books_undo``: reversed, the reference stays taken) the next one is
    ``...:old-books:2``, and on."""
    base = f"yearend:{year}:old-books"
    earlier = JournalEntry.objects.filter(
        source=JournalEntry.Source.SHU, source_ref__regex=rf"^{base}(:[0-9]+)?$"
    ).count()
    return base if earlier == 0 else f"{base}:{earlier + 1}"


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
    checked = old_books_rows_check(rows)
    row_errors = [r.error for r in checked if r.error]
    shares = [(r.member, r.jma, r.jua) for r in checked if not r.error and r.member is not None]
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
        source_ref=_bring_in_ref(year),
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


def _whole(amount: Decimal) -> str:
    """Whole rupiah as the audit keeps them (``"120000"``)."""
    return str(amount.quantize(Decimal("1")))


def _payout_label(payout: ShuPayout) -> str:
    return payout.receipt_number or _("pembayaran SHU #%(n)s") % {"n": payout.pk}


def old_books_undo_refusal(
    ye: YearEnd, *, shares: list[MemberShare] | None = None
) -> ApplicationError | None:
    """Why the bring-in of ``ye`` cannot be undone (None: it can): not a year of the old
    books; a share of it used — a payout (reversed or not: the payout and its receipt
    stay on the share) or the exit settlement (the share marked paid). Shared by the
    service and the year page (which offers the button only when None, and says this
    otherwise)."""
    year = ye.year
    if not ye.old_books:
        return ApplicationError(
            E.OLD_BOOKS_YEAR,
            _(
                "Tahun buku %(y)s ditutup di Lumbung, bukan dibawa dari pembukuan lama; "
                "tutup bukunya dibatalkan lewat Buka kembali."
            )
            % {"y": year},
            status=409,
        )
    payouts = list(
        ShuPayout.objects.filter(share__year_end=ye).select_related("share__member").order_by("pk")
    )
    if payouts:
        named = [
            f"{_payout_label(p)} ({p.share.member}"
            + (", " + _("dibatalkan") if p.reversed_at is not None else "")
            + ")"
            for p in payouts[:5]
        ]
        if len(payouts) > 5:
            named.append(_("… dan %(n)s lainnya") % {"n": len(payouts) - 5})
        return ApplicationError(
            E.OLD_BOOKS_USED,
            _(
                "SHU %(y)s dari pembukuan lama tidak dapat dibatalkan: bagian anggotanya "
                "sudah dibayar (%(p)s). Pembayaran, juga yang sudah dibatalkan, tetap "
                "tercatat pada SHU anggota itu."
            )
            % {"y": year, "p": "; ".join(named)},
            status=409,
        )
    if shares is None:
        shares = list(MemberShare.objects.filter(year_end=ye).select_related("member"))
    settled = [s for s in shares if s.paid > 0]
    if settled:
        # marked paid with no payout: the exit settlement paid it (``shu_shares_settle_at_exit``)
        return ApplicationError(
            E.OLD_BOOKS_USED,
            _(
                "SHU %(y)s dari pembukuan lama tidak dapat dibatalkan: SHU anggota %(m)s "
                "sudah dibayar lewat penyelesaian keluar anggota. Batalkan dulu "
                "penyelesaian keluarnya."
            )
            % {
                "y": year,
                "m": "; ".join(f"{s.member} ({format_rupiah(s.paid)})" for s in settled),
            },
            status=409,
        )
    return None


@transaction.atomic
def shu_old_books_undo(*, year: int, reason: str, by) -> JournalEntry:
    """Take back the bring-in of ``year``'s unpaid SHU from the old books (bendahara,
    admin; a reason): its entry reversed today by ``journal_reverse`` (the mirror entry,
    linked to it; the lines of both stay), so SHU payable's balance naming no member is
    back where it was and the members' lines net to zero; the year (``YearEnd`` marked
    ``old_books``) and its shares removed, so the year can be brought in again. What was
    brought in stays in the audit row (each member's JMA and JUA) and in the journal.
    Returns the reversing entry.

    Refused, nothing written: the reason missing; no bring-in of that year (never, or
    undone already: ``shu_old_books_not_brought_in``); a year closed in Lumbung; a
    share used (``shu_old_books_used``: a payout, reversed or not, or the exit
    settlement), naming it."""
    if getattr(by, "role", None) not in TREASURY:
        raise ApplicationError(
            E.NOT_ALLOWED,
            _("Anda tidak berwenang %(w)s.") % {"w": _("membatalkan SHU dari pembukuan lama")},
            status=403,
        )
    reason = reason_required(
        reason,
        code=E.REASON_REQUIRED,
        message=_("Alasan pembatalan wajib diisi."),
        max_length=REASON_MAX_LENGTH,
    )
    # the year's row first, as a payout batch and a payout's reversal lock it: none runs
    # meanwhile, and a second undo waits and finds the year gone
    ye = YearEnd.objects.select_for_update().filter(year=year).first()
    if ye is None:
        raise ApplicationError(
            E.OLD_BOOKS_NOT_BROUGHT_IN,
            _(
                "Tidak ada SHU %(y)s dari pembukuan lama yang dapat dibatalkan: belum "
                "dibawa, atau sudah dibatalkan."
            )
            % {"y": year},
            status=409,
        )
    shares = list(
        MemberShare.objects.select_for_update(of=("self",))
        .filter(year_end=ye)
        .select_related("member")
        .order_by("pk")
    )
    refusal = old_books_undo_refusal(ye, shares=shares)
    if refusal is not None:
        raise refusal
    # the account locked as the bring-in locks it: a bring-in of another year meanwhile
    # reads the balance naming no member after this undo
    Account.objects.select_for_update().filter(
        pk=account_for_role("shu_members_payable").pk
    ).first()
    unassigned = shu_unassigned()
    entry = ye.posting_entry
    rev = journal_reverse(
        entry=entry,
        on=timezone.localdate(),
        reason=_("SHU %(y)s pembukuan lama dibatalkan: %(r)s") % {"y": year, "r": reason},
        by=by,
        module=JournalEntry.Source.SHU,
    )
    total = sum((s.total for s in shares), ZERO)
    audit_log(
        actor=by,
        action=YearEndAudit.SHU_OLD_BOOKS_UNDO,
        target=ye,
        reason=reason,
        data={
            "year": year,
            "entry": str(entry),
            "reversal_entry": str(rev),
            "members": len(shares),
            "total": _whole(total),
            "unassigned_before": _whole(unassigned),
            "unassigned_after": _whole(unassigned + total),
            "rat_date": ye.rat_date.isoformat() if ye.rat_date else "",
            "rat_decision": ye.rat_decision,
            "shares": [
                {"member": s.member.number, "jma": _whole(s.jma), "jua": _whole(s.jua)}
                for s in shares
            ],
        },
    )
    MemberShare.objects.filter(pk__in=[s.pk for s in shares]).delete()
    ye.delete()
    return rev
