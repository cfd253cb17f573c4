"""Posting: ``journal_post`` (every module's only way into the ledger), reserved entry ids,
reversals."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.audit.services import audit_log
from core.common.dates import format_tanggal
from core.common.errors import ApplicationError, reason_required

from ..errors import LedgerErrors as E
from ..models import (
    Account,
    FiscalYear,
    JournalEntry,
    JournalLine,
    Period,
)
from .common import COPY_THRESHOLD, ZERO, LineSpec, _amount, _user_or_none
from .fiscal import _open_period_for

# --------------------------------------------------------------------------- posting


# What the journal entry's description column holds (models.JournalEntry.description).
DESCRIPTION_MAX = JournalEntry._meta.get_field("description").max_length

# Entries a module owns: reversed only through that module's own reversal, which corrects
# its sub-ledger too. The value says where (shown in the refusal).
MODULE_OWNERS = {
    JournalEntry.Source.SAVINGS: gettext_lazy(
        "menu Simpanan: tombol Batalkan pada transaksi di halaman rekening "
        "(API: POST /api/v1/savings/transactions/<id>/reverse/)"
    ),
    JournalEntry.Source.LOAN: gettext_lazy(
        "menu Pinjaman: tombol Batalkan pada pembayaran atau Batalkan pencairan di halaman "
        "pinjamannya (API: POST /api/v1/loans/repayments/<id>/reverse/, "
        "POST /api/v1/loans/<id>/reverse-disbursement/)"
    ),
    JournalEntry.Source.DEDUCTION: gettext_lazy(
        "menu Potong gaji: Batalkan batch impor "
        "(API: POST /api/v1/deductions/imports/<id>/reverse/)"
    ),
    JournalEntry.Source.SHU: gettext_lazy("menu SHU"),
    JournalEntry.Source.MEMBER: gettext_lazy("menu Keanggotaan (penyelesaian keluar anggota)"),
    JournalEntry.Source.SHOP: gettext_lazy("menu Toko"),
}

# The same, as the entry's page says it to a reader: where in the menus, no API call.
MODULE_OWNER_PAGES = {
    JournalEntry.Source.SAVINGS: gettext_lazy(
        "menu Simpanan: tombol Batalkan pada transaksi di halaman rekening"
    ),
    JournalEntry.Source.LOAN: gettext_lazy(
        "menu Pinjaman: tombol Batalkan pada pembayaran atau Batalkan pencairan di halaman "
        "pinjamannya"
    ),
    JournalEntry.Source.DEDUCTION: gettext_lazy("menu Potong gaji: Batalkan batch impor"),
    JournalEntry.Source.SHU: MODULE_OWNERS[JournalEntry.Source.SHU],
    JournalEntry.Source.MEMBER: MODULE_OWNERS[JournalEntry.Source.MEMBER],
    JournalEntry.Source.SHOP: MODULE_OWNERS[JournalEntry.Source.SHOP],
}


def _source_label(source: str) -> str:
    try:
        return str(JournalEntry.Source(source).label)
    except ValueError:
        return source


def _resolve_accounts(lines: Sequence[LineSpec], *, source: str | None = None) -> list[Account]:
    """The accounts of ``lines``, each known, active and not a group; for a manual entry
    (``source="manual"``) none may be a control account of a sub-ledger."""
    codes = {spec.account for spec in lines if isinstance(spec.account, str)}
    ids = {spec.account.pk for spec in lines if isinstance(spec.account, Account)}
    found = Account.objects.filter(Q(code__in=codes) | Q(id__in=ids)).only(
        "id", "code", "name", "is_active", "is_group", "is_control"
    )
    by_code, by_id = {}, {}
    for acc in found:
        by_code[acc.code] = acc
        by_id[acc.pk] = acc
    out = []
    for n, spec in enumerate(lines, start=1):
        if isinstance(spec.account, Account):
            acc = by_id.get(spec.account.pk)
        elif isinstance(spec.account, str):
            acc = by_code.get(spec.account)
        else:
            acc = None
        if acc is None:
            raise ApplicationError(
                E.UNKNOWN_ACCOUNT,
                _("Baris %(n)s: akun '%(c)s' tidak dikenal.") % {"n": n, "c": spec.account},
                fields={"lines": {str(n): [_("Akun tidak dikenal.")]}},
            )
        if acc.is_group:
            raise ApplicationError(
                E.GROUP_ACCOUNT,
                _("Baris %(n)s: akun %(c)s adalah akun kelompok dan tidak menerima posting.")
                % {"n": n, "c": acc.code},
                fields={"lines": {str(n): [_("Akun kelompok.")]}},
            )
        if not acc.is_active:
            raise ApplicationError(
                E.INACTIVE_ACCOUNT,
                _("Baris %(n)s: akun %(c)s %(name)s tidak aktif.")
                % {"n": n, "c": acc.code, "name": acc.name},
                fields={"lines": {str(n): [_("Akun tidak aktif.")]}},
            )
        if source == JournalEntry.Source.MANUAL and acc.is_control:
            raise ApplicationError(
                E.CONTROL_ACCOUNT,
                _(
                    "Baris %(n)s: akun %(c)s %(name)s adalah akun kontrol buku pembantu "
                    "(simpanan/pinjaman/SHU); catat lewat modulnya, bukan jurnal manual."
                )
                % {"n": n, "c": acc.code, "name": acc.name},
                fields={"lines": {str(n): [_("Akun kontrol; pakai modulnya.")]}},
            )
        out.append(acc)
    return out


def _validated_amounts(lines: Sequence[LineSpec]) -> list[tuple[Decimal, Decimal]]:
    out = []
    total_d = total_c = ZERO
    for n, spec in enumerate(lines, start=1):
        d = _amount(spec.debit, line_no=n, side="debit")
        c = _amount(spec.credit, line_no=n, side="kredit")
        if d < 0 or c < 0:
            raise ApplicationError(
                E.AMOUNT_NOT_POSITIVE,
                _("Baris %(n)s: jumlah tidak boleh negatif.") % {"n": n},
                fields={"lines": {str(n): [_("Jumlah negatif.")]}},
            )
        if d > 0 and c > 0:
            raise ApplicationError(
                E.AMOUNT_BOTH_SIDES,
                _("Baris %(n)s: isi debit atau kredit, tidak keduanya.") % {"n": n},
                fields={"lines": {str(n): [_("Debit dan kredit terisi.")]}},
            )
        if d == 0 and c == 0:
            raise ApplicationError(
                E.AMOUNT_NOT_POSITIVE,
                _("Baris %(n)s: jumlah harus lebih dari nol.") % {"n": n},
                fields={"lines": {str(n): [_("Jumlah nol.")]}},
            )
        total_d += d
        total_c += c
        out.append((d, c))
    if total_d != total_c:
        raise ApplicationError(
            E.UNBALANCED,
            _("Jurnal tidak seimbang: debit %(d)s, kredit %(c)s (selisih %(x)s).")
            % {"d": total_d, "c": total_c, "x": abs(total_d - total_c)},
        )
    return out


# the names the entry trigger's refusals of a closed month carry (ledger 0023): the
# entry's month not open, the entry on or before the latest closed month
CLOSED_CONSTRAINTS = ("ledger_entry_period_open", "ledger_entry_books_closed")


def _constraint(exc: IntegrityError) -> str | None:
    return getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)


# journal lines per COPY: a batch's entry of 90,000 lines goes in a few statements, each
# buffer of text built and sent before the next (not all of it held at once)
COPY_CHUNK = 20_000


def _lines_copy(rows: list[tuple]) -> None:
    with connection.cursor() as cur:
        for start in range(0, len(rows), COPY_CHUNK):
            buf = io.StringIO()
            w = csv.writer(buf)
            for entry_id, account_id, on, d, c, member_id, memo, nc in rows[
                start : start + COPY_CHUNK
            ]:
                w.writerow(
                    [
                        entry_id,
                        account_id,
                        on.isoformat(),
                        d,
                        c,
                        "" if member_id is None else member_id,
                        memo,
                        "t" if nc else "f",
                    ]
                )
            buf.seek(0)
            cur.cursor.copy_expert(
                "COPY ledger_journalline (entry_id, account_id, date, debit, credit, member_id, "
                "memo, non_cash) FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL (memo))",
                buf,
            )


def _post(
    *,
    on: date,
    description: str,
    lines: Sequence[LineSpec],
    source: str,
    source_ref: str,
    by,
    reverses: JournalEntry | None = None,
    audit_action: str = "ledger.entry.post",
    audit_reason: str = "",
    entry_id: int | None = None,
    year_close: bool = False,
) -> JournalEntry:
    description = (description or "").strip()
    if not description:
        raise ApplicationError(
            E.DESCRIPTION_REQUIRED,
            _("Uraian jurnal wajib diisi."),
            fields={"description": [_("Wajib diisi.")]},
        )
    if isinstance(on, datetime):
        on = on.date()
    if not isinstance(on, date):
        raise ApplicationError(
            E.DATE_INVALID,
            _("Tanggal jurnal tidak valid."),
            fields={"date": [_("Tanggal tidak valid.")]},
        )
    lines = list(lines)
    if len(lines) < 2:
        raise ApplicationError(E.NO_LINES, _("Jurnal harus punya paling sedikit dua baris."))
    amounts = _validated_amounts(lines)
    accounts = _resolve_accounts(lines, source=source)
    source_ref = (source_ref or "").strip()
    _open_period_for(on, source=source, year_close=year_close)
    fy = FiscalYear.objects.select_for_update().get(year=on.year)  # the number counter
    if source_ref and JournalEntry.objects.filter(source=source, source_ref=source_ref).exists():
        raise ApplicationError(
            E.DUPLICATE_POSTING,
            _("Transaksi %(s)s/%(r)s sudah pernah diposting.") % {"s": source, "r": source_ref},
            status=409,
        )
    fy.last_number += 1
    FiscalYear.objects.filter(pk=fy.pk).update(last_number=fy.last_number)
    try:
        with transaction.atomic():
            entry = JournalEntry.objects.create(
                pk=entry_id,
                fiscal_year=on.year,
                number=fy.last_number,
                date=on,
                description=description[:DESCRIPTION_MAX],
                source=source,
                source_ref=source_ref,
                reverses=reverses,
                year_close=year_close,
                created_by=_user_or_none(by),
            )
    except IntegrityError as exc:
        if _constraint(exc) in CLOSED_CONSTRAINTS:
            # a month was closed after the check above read the books open (a close
            # committed meanwhile, or held the month's row and the trigger waited for
            # it): the same check, read again now, gives the usual refusal
            _open_period_for(on, source=source, year_close=year_close)
            raise
        if getattr(exc.__cause__, "pgcode", None) != "23505":  # not a unique violation
            raise
        raise ApplicationError(
            E.DUPLICATE_POSTING,
            _("Transaksi %(s)s/%(r)s sudah pernah diposting.") % {"s": source, "r": source_ref},
            status=409,
        )
    rows = [
        (entry.pk, acc.pk, on, d, c, spec.member_id, (spec.memo or "")[:300], spec.non_cash)
        for spec, acc, (d, c) in zip(lines, accounts, amounts, strict=True)
    ]
    if len(rows) > COPY_THRESHOLD:
        _lines_copy(rows)
    else:
        JournalLine.objects.bulk_create(
            [
                JournalLine(
                    entry_id=e,
                    account_id=a,
                    date=dt,
                    debit=d,
                    credit=c,
                    member_id=m,
                    memo=memo,
                    non_cash=nc,
                )
                for e, a, dt, d, c, m, memo, nc in rows
            ]
        )
    total = sum((d for d, _c in amounts), ZERO)
    audit_log(
        actor=by,
        action=audit_action,
        target=entry,
        reason=audit_reason,
        data={
            "number": str(entry),
            "date": on.isoformat(),
            "source": source,
            "source_ref": source_ref,
            "lines": len(rows),
            "total": str(total),
            "reverses": reverses.pk if reverses else None,
        },
    )
    return entry


@transaction.atomic
def journal_post(
    *,
    on: date,
    description: str,
    lines: Sequence[LineSpec],
    source: str = JournalEntry.Source.MANUAL,
    source_ref: str = "",
    by,
    entry_id: int | None = None,
    year_close: bool = False,
) -> JournalEntry:
    """Post one balanced journal entry. Raises ApplicationError (nothing written) on bad
    input; ``duplicate_posting`` when (source, source_ref) was posted before. ``entry_id``:
    an id from ``journal_entry_id_reserve`` that movements written earlier in this
    transaction already point at.

    ``year_close``: an entry of the year close itself (source "shu": the year end's
    income tax and move to SHU belum dibagi), dated the last day of a fiscal year that
    is not closed yet. Like the ledger's closing entry it may be dated before the end of
    the latest closed month (January of the next year closed before the RAT); its month
    must still be open."""
    if year_close and source != JournalEntry.Source.SHU:
        raise ApplicationError(
            E.PERIOD_CLOSED,
            _("Hanya jurnal SHU dari tutup buku tahunan yang dapat ditandai jurnal tutup buku."),
        )
    return _post(
        on=on,
        description=description,
        lines=lines,
        source=source,
        source_ref=source_ref,
        by=by,
        entry_id=entry_id,
        year_close=year_close,
    )


def posting_months_lock(*, dates: Iterable[date]) -> None:
    """For a transaction about to post entries dated in more than one month: take now,
    oldest first, the locks its postings will take one by one — each fiscal year's row
    (``_post``'s number counter, FOR UPDATE), then each month's row (FOR SHARE, as the
    entry trigger does, ledger 0023). Posting the later month first would otherwise hold
    it while a close of that month (``period_close``: its month and every earlier open
    month, FOR UPDATE, oldest first) holds the earlier one: each waits for the other,
    and PostgreSQL ends one (a deadlock). In this order the close waits for the whole
    transaction, or the transaction for the close (and is then refused
    ``period_closed``). Years before months, as every posting and the year close take
    them. A month whose row does not exist yet is not locked (its posting is refused)."""
    days = sorted(set(dates))
    if not days:
        return
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("posting_months_lock must run inside a transaction")
    list(
        FiscalYear.objects.select_for_update()
        .filter(year__in=sorted({d.year for d in days}))
        .order_by("year")
        .values_list("pk", flat=True)
    )
    # Django's select_for_update has no FOR SHARE; the rows are locked as the sorted
    # rows come out, so in start-date order
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT p.id FROM {Period._meta.db_table} p"
            " WHERE EXISTS (SELECT 1 FROM unnest(%s::date[]) d"
            " WHERE p.start_date <= d AND d <= p.end_date)"
            " ORDER BY p.start_date FOR SHARE OF p",
            [days],
        )
        cur.fetchall()


def journal_entry_id_reserve() -> int:
    """Reserve the primary key of a journal entry to be posted later in this transaction
    (``journal_post(entry_id=...)``), so that a batch can write its sub-ledger movements
    (savings transactions, loan repayments) already linked to it instead of linking
    them with an UPDATE afterwards. Their foreign keys to the entry are checked at commit
    (``DEFERRABLE INITIALLY DEFERRED``): a transaction that reserves an id, links rows to
    it and never posts the entry cannot commit. The entry's number (gap-free per year)
    is still given when it is posted; an unused id is only a gap in primary keys."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("journal_entry_id_reserve must run inside a transaction")
    with connection.cursor() as cur:
        cur.execute("SELECT nextval(pg_get_serial_sequence('ledger_journalentry', 'id'))")
        return cur.fetchone()[0]


@transaction.atomic
def journal_reverse(
    *,
    entry: JournalEntry,
    on: date,
    reason: str,
    by,
    module: str | None = None,
    year_close: bool = False,
) -> JournalEntry:
    """Post the mirror image of ``entry`` (debits and credits swapped), linked to it.

    An entry owned by a module (``MODULE_OWNERS``) or touching a control account is
    reversed only by that module's own reversal, which corrects its sub-ledger in the
    same transaction and passes ``module=<the entry's source>``; the generic reversal
    (``module=None``: the ledger screen and API) refuses it, naming where to go.

    ``year_close``: the reopening of a year reverses the year close's own entry (posted
    with ``journal_post(year_close=True)``) on its date, as the closing entry's reversal
    is: allowed before the end of the latest closed month (see ``journal_post``)."""
    reason = reason_required(
        reason, code=E.REASON_REQUIRED, message=_("Alasan pembalikan wajib diisi.")
    )
    entry = JournalEntry.objects.get(pk=entry.pk)
    description = f"Pembalik {entry}: {reason}"
    # The reason goes whole into the reversal's description (the books), not only into
    # the audit: one that does not fit is refused, never cut.
    room = DESCRIPTION_MAX - len(description) + len(reason)
    if len(reason) > room:
        raise ApplicationError(
            E.REASON_TOO_LONG,
            _(
                "Alasan pembalikan terlalu panjang (%(n)s karakter); paling panjang %(max)s "
                "karakter agar tersimpan utuh di uraian jurnal pembalik."
            )
            % {"n": len(reason), "max": room},
            fields={"reason": [_("Paling panjang %(max)s karakter.") % {"max": room}]},
        )
    if entry.reverses_id is not None or entry.source == JournalEntry.Source.CLOSING:
        raise ApplicationError(
            E.REVERSAL_NOT_REVERSIBLE,
            _("Jurnal %(n)s adalah jurnal pembalik/penutup dan tidak dapat dibalik.")
            % {"n": entry},
        )
    if module != entry.source:
        where = MODULE_OWNERS.get(entry.source)
        if where is None and entry.lines.filter(account__is_control=True).exists():
            where = gettext_lazy("modul pemilik akun kontrolnya (simpanan/pinjaman/SHU)")
        if where is not None:
            raise ApplicationError(
                E.MODULE_ENTRY,
                _(
                    "Jurnal %(n)s dibuat oleh modul %(m)s dan hanya dapat dibatalkan lewat "
                    "%(w)s, agar buku pembantunya ikut dikoreksi."
                )
                % {"n": entry, "m": _source_label(entry.source), "w": where},
                status=409,
            )
    if year_close and (entry.source != JournalEntry.Source.SHU or on != entry.date):
        raise ApplicationError(
            E.PERIOD_CLOSED,
            _(
                "Pembalikan jurnal tutup buku hanya untuk jurnal SHU dari tutup buku tahunan, "
                "pada tanggal jurnal itu sendiri."
            ),
        )
    if on < entry.date:
        raise ApplicationError(
            E.REVERSAL_DATE,
            _("Tanggal pembalikan tidak boleh sebelum tanggal jurnal asli (%(d)s).")
            % {"d": format_tanggal(entry.date)},
            fields={"date": [_("Sebelum tanggal jurnal asli.")]},
        )
    if JournalEntry.objects.filter(reverses=entry).exists():
        raise ApplicationError(
            E.ALREADY_REVERSED, _("Jurnal %(n)s sudah pernah dibalik.") % {"n": entry}, status=409
        )
    lines = [
        LineSpec(
            account=Account(pk=ln.account_id),
            debit=ln.credit,
            credit=ln.debit,
            member_id=ln.member_id,
            memo=ln.memo,
            non_cash=ln.non_cash,
        )
        for ln in entry.lines.order_by("id")
    ]
    try:
        return _post(
            on=on,
            description=description,
            lines=lines,
            source=JournalEntry.Source.REVERSAL,
            source_ref=str(entry.pk),
            by=by,
            reverses=entry,
            audit_action="ledger.entry.reverse",
            audit_reason=reason,
            year_close=year_close,
        )
    except ApplicationError as exc:
        if exc.code == E.DUPLICATE_POSTING:
            raise ApplicationError(
                E.ALREADY_REVERSED,
                _("Jurnal %(n)s sudah pernah dibalik.") % {"n": entry},
                status=409,
            )
        raise
