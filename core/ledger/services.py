"""Writes to the general ledger. Every module posts through ``journal_post``.

Rules checked here (with specific Indonesian messages, nothing written on failure) and
again by the database (migration 0002): balanced, positive one-sided amounts, active
non-group accounts, open period, immutable once posted, gap-free numbers per year.
"""

from __future__ import annotations

import csv
import io
from calendar import monthrange
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.errors import ApplicationError
from core.common.money import CENT
from core.common.permissions import SETTINGS_ADMINS, TREASURY

from .errors import LedgerErrors as E
from .models import (
    Account,
    AccountRole,
    FiscalYear,
    JournalEntry,
    JournalLine,
    LedgerSettings,
    ManualEntryRequest,
    Period,
)

ZERO = Decimal("0")
MAX_AMOUNT = Decimal("9999999999999999.99")
COPY_THRESHOLD = 200  # entries with more lines are written with COPY


@dataclass(frozen=True)
class LineSpec:
    account: Account | str  # an Account or an account code
    debit: Decimal = Decimal("0")
    credit: Decimal = Decimal("0")
    member_id: int | None = None
    memo: str = ""


def _user_or_none(by):
    return by if getattr(by, "is_authenticated", False) and getattr(by, "pk", None) else None


def _role_of(by) -> str:
    return getattr(by, "role", "") or ""


def _amount(value, *, line_no: int, side: str) -> Decimal:
    if value is None or value == "":
        return ZERO
    if isinstance(value, float):
        raise ApplicationError(
            E.AMOUNT_TYPE,
            _("Baris %(n)s: jumlah %(side)s harus Decimal, bukan float.")
            % {"n": line_no, "side": side},
        )
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ApplicationError(
            E.AMOUNT_TYPE,
            _("Baris %(n)s: jumlah %(side)s bukan angka.") % {"n": line_no, "side": side},
        )
    if not d.is_finite():
        raise ApplicationError(
            E.AMOUNT_TYPE,
            _("Baris %(n)s: jumlah %(side)s bukan angka.") % {"n": line_no, "side": side},
        )
    if d != d.quantize(CENT):
        raise ApplicationError(
            E.AMOUNT_PRECISION,
            _("Baris %(n)s: jumlah paling banyak dua angka desimal.") % {"n": line_no},
        )
    if abs(d) > MAX_AMOUNT:
        raise ApplicationError(
            E.AMOUNT_TYPE, _("Baris %(n)s: jumlah terlalu besar.") % {"n": line_no}
        )
    return d


# --------------------------------------------------------------------------- periods


def _month_end(year: int, month: int) -> date:
    return date(year, month, monthrange(year, month)[1])


@transaction.atomic
def fiscal_year_ensure(*, year: int) -> FiscalYear:
    """The fiscal year (calendar year) with its twelve monthly periods; created open if
    missing. Years after today's year are not created (future periods stay locked)."""
    fy = FiscalYear.objects.filter(year=year).first()
    if fy:
        return fy
    if year > timezone.localdate().year:
        raise ApplicationError(
            E.FUTURE_DATE,
            _("Tahun buku %(y)s belum dapat dibuka (masa depan).") % {"y": year},
        )
    if FiscalYear.objects.filter(year__gt=year, status=FiscalYear.Status.CLOSED).exists():
        raise ApplicationError(
            E.PERIOD_CLOSED,
            _("Tahun buku %(y)s tidak dapat dibuka: tahun sesudahnya sudah ditutup.") % {"y": year},
        )
    fy, created = FiscalYear.objects.get_or_create(
        year=year, defaults={"start_date": date(year, 1, 1), "end_date": date(year, 12, 31)}
    )
    if created:
        Period.objects.bulk_create(
            [
                Period(
                    fiscal_year=fy,
                    month=m,
                    start_date=date(year, m, 1),
                    end_date=_month_end(year, m),
                )
                for m in range(1, 13)
            ]
        )
    return fy


def _open_period_for(on: date) -> Period:
    if on > timezone.localdate():
        raise ApplicationError(
            E.FUTURE_DATE,
            _("Tanggal %(d)s di masa depan; periode itu masih terkunci.") % {"d": on.isoformat()},
            fields={"date": [_("Tanggal tidak boleh di masa depan.")]},
        )
    period = Period.objects.filter(start_date__lte=on, end_date__gte=on).first()
    if period is None:
        fiscal_year_ensure(year=on.year)
        period = Period.objects.get(start_date__lte=on, end_date__gte=on)
    if period.status != Period.Status.OPEN:
        raise ApplicationError(
            E.PERIOD_CLOSED,
            _("Periode %(p)s sudah ditutup; tidak bisa memposting tanggal %(d)s.")
            % {"p": f"{period.start_date:%m/%Y}", "d": on.isoformat()},
            fields={"date": [_("Periode sudah ditutup.")]},
        )
    return period


# --------------------------------------------------------------------------- posting


def _resolve_accounts(lines: Sequence[LineSpec]) -> list[Account]:
    codes = {spec.account for spec in lines if isinstance(spec.account, str)}
    ids = {spec.account.pk for spec in lines if isinstance(spec.account, Account)}
    found = Account.objects.filter(Q(code__in=codes) | Q(id__in=ids)).only(
        "id", "code", "name", "is_active", "is_group"
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


def _lines_copy(rows: list[tuple]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf)
    for entry_id, account_id, on, d, c, member_id, memo in rows:
        w.writerow(
            [
                entry_id,
                account_id,
                on.isoformat(),
                d,
                c,
                "" if member_id is None else member_id,
                memo,
            ]
        )
    buf.seek(0)
    with connection.cursor() as cur:
        cur.cursor.copy_expert(
            "COPY ledger_journalline (entry_id, account_id, date, debit, credit, member_id, memo) "
            "FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL (memo))",
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
    accounts = _resolve_accounts(lines)
    source_ref = (source_ref or "").strip()
    _open_period_for(on)
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
                description=description[:500],
                source=source,
                source_ref=source_ref,
                reverses=reverses,
                created_by=_user_or_none(by),
            )
    except IntegrityError as exc:
        if getattr(exc.__cause__, "pgcode", None) != "23505":  # not a unique violation
            raise
        raise ApplicationError(
            E.DUPLICATE_POSTING,
            _("Transaksi %(s)s/%(r)s sudah pernah diposting.") % {"s": source, "r": source_ref},
            status=409,
        )
    rows = [
        (entry.pk, acc.pk, on, d, c, spec.member_id, (spec.memo or "")[:300])
        for spec, acc, (d, c) in zip(lines, accounts, amounts, strict=True)
    ]
    if len(rows) > COPY_THRESHOLD:
        _lines_copy(rows)
    else:
        JournalLine.objects.bulk_create(
            [
                JournalLine(
                    entry_id=e, account_id=a, date=dt, debit=d, credit=c, member_id=m, memo=memo
                )
                for e, a, dt, d, c, m, memo in rows
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
) -> JournalEntry:
    """Post one balanced journal entry. Raises ApplicationError (nothing written) on bad
    input; ``duplicate_posting`` when (source, source_ref) was posted before. ``entry_id``:
    an id from ``journal_entry_id_reserve`` that movements written earlier in this
    transaction already point at."""
    return _post(
        on=on,
        description=description,
        lines=lines,
        source=source,
        source_ref=source_ref,
        by=by,
        entry_id=entry_id,
    )


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
def journal_reverse(*, entry: JournalEntry, on: date, reason: str, by) -> JournalEntry:
    """Post the mirror image of ``entry`` (debits and credits swapped), linked to it."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(
            E.REASON_REQUIRED,
            _("Alasan pembalikan wajib diisi."),
            fields={"reason": [_("Wajib diisi.")]},
        )
    entry = JournalEntry.objects.get(pk=entry.pk)
    if entry.reverses_id is not None or entry.source == JournalEntry.Source.CLOSING:
        raise ApplicationError(
            E.REVERSAL_NOT_REVERSIBLE,
            _("Jurnal %(n)s adalah jurnal pembalik/penutup dan tidak dapat dibalik.")
            % {"n": entry},
        )
    if on < entry.date:
        raise ApplicationError(
            E.REVERSAL_DATE,
            _("Tanggal pembalikan tidak boleh sebelum tanggal jurnal asli (%(d)s).")
            % {"d": entry.date.isoformat()},
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
        )
        for ln in entry.lines.order_by("id")
    ]
    try:
        return _post(
            on=on,
            description=f"Pembalik {entry}: {reason}",
            lines=lines,
            source=JournalEntry.Source.REVERSAL,
            source_ref=str(entry.pk),
            by=by,
            reverses=entry,
            audit_action="ledger.entry.reverse",
            audit_reason=reason,
        )
    except ApplicationError as exc:
        if exc.code == E.DUPLICATE_POSTING:
            raise ApplicationError(
                E.ALREADY_REVERSED,
                _("Jurnal %(n)s sudah pernah dibalik.") % {"n": entry},
                status=409,
            )
        raise


# --------------------------------------------------------------------------- periods


def _require(by, roles, what: str) -> None:
    if _role_of(by) not in roles:
        raise ApplicationError(
            E.NOT_ALLOWED,
            _("Peran Anda tidak boleh %(what)s.") % {"what": what},
            status=403,
        )


@transaction.atomic
def period_close(*, period: Period, by) -> Period:
    """Close a month: no more postings dated in it."""
    _require(by, TREASURY, _("menutup periode"))
    period = Period.objects.select_for_update().get(pk=period.pk)
    if period.status == Period.Status.CLOSED:
        raise ApplicationError(E.PERIOD_STATE, _("Periode %(p)s sudah ditutup.") % {"p": period})
    period.status = Period.Status.CLOSED
    period.closed_at = timezone.now()
    period.closed_by = _user_or_none(by)
    period.save(update_fields=["status", "closed_at", "closed_by"])
    audit_log(actor=by, action="ledger.period.close", target=period)
    return period


def _income_expense_balances(*, year: int) -> list[tuple[Account, Decimal]]:
    """Signed (debit − credit) cumulative balance of each income/expense account at the
    year's end. Earlier years are closed, so this is the year's result."""
    from .selectors import totals_as_of

    totals = totals_as_of(date(year, 12, 31))
    out = []
    for acc in Account.objects.filter(type__in=[Account.Type.INCOME, Account.Type.EXPENSE]):
        d, c = totals.get(acc.pk, (ZERO, ZERO))
        if d != c:
            out.append((acc, d - c))
    return out


@transaction.atomic
def fiscal_year_close(*, fiscal_year: FiscalYear, by) -> FiscalYear:
    """Year close: income and expense accounts are rolled into SHU tahun berjalan by a
    closing entry dated the last day of the year; every month and the year are locked."""
    from .selectors import account_for_role

    _require(by, TREASURY, _("menutup tahun buku"))
    fy = FiscalYear.objects.select_for_update().get(pk=fiscal_year.pk)
    if fy.status == FiscalYear.Status.CLOSED:
        raise ApplicationError(E.PERIOD_STATE, _("Tahun buku %(y)s sudah ditutup.") % {"y": fy})
    if fy.end_date > timezone.localdate():
        raise ApplicationError(
            E.PERIOD_STATE,
            _("Tahun buku %(y)s belum berakhir.") % {"y": fy},
        )
    if FiscalYear.objects.filter(year__lt=fy.year, status=FiscalYear.Status.OPEN).exists():
        raise ApplicationError(
            E.YEAR_ORDER, _("Tutup dulu tahun buku sebelumnya sebelum menutup %(y)s.") % {"y": fy}
        )
    shu_account = account_for_role("shu_current_year")
    # The closing entry goes into December, even if that month was already closed.
    Period.objects.filter(fiscal_year=fy, month=12).update(status=Period.Status.OPEN)
    balances = _income_expense_balances(year=fy.year)
    entry = None
    if balances:
        lines = []
        net = ZERO  # debit − credit over income/expense (negative = surplus)
        for acc, signed in balances:
            net += signed
            if signed > 0:
                lines.append(LineSpec(account=acc, credit=signed, memo="Penutupan"))
            else:
                lines.append(LineSpec(account=acc, debit=-signed, memo="Penutupan"))
        if net < 0:
            lines.append(LineSpec(account=shu_account, credit=-net, memo="SHU tahun berjalan"))
        elif net > 0:
            lines.append(LineSpec(account=shu_account, debit=net, memo="Defisit tahun berjalan"))
        closings = JournalEntry.objects.filter(
            source=JournalEntry.Source.CLOSING, fiscal_year=fy.year
        ).count()
        entry = _post(
            on=fy.end_date,
            description=f"Penutupan tahun buku {fy.year}: pendapatan dan beban ke SHU tahun berjalan",
            lines=lines,
            source=JournalEntry.Source.CLOSING,
            source_ref=f"{fy.year}:{closings + 1}",
            by=by,
            audit_action="ledger.entry.closing",
        )
    now = timezone.now()
    Period.objects.filter(fiscal_year=fy, status=Period.Status.OPEN).update(
        status=Period.Status.CLOSED, closed_at=now, closed_by=_user_or_none(by)
    )
    fy.status = FiscalYear.Status.CLOSED
    fy.closed_at = now
    fy.closed_by = _user_or_none(by)
    fy.closing_entry = entry
    fy.save(update_fields=["status", "closed_at", "closed_by", "closing_entry"])
    audit_log(
        actor=by,
        action="ledger.year.close",
        target=fy,
        data={"closing_entry": str(entry) if entry else None},
    )
    return fy


@transaction.atomic
def period_reopen(*, period: Period, reason: str, by) -> Period:
    """Admin only. Reopen a closed month; if its year is closed, the year is reopened
    too and its closing entry reversed (income and expense come back)."""
    _require(by, SETTINGS_ADMINS, _("membuka kembali periode (khusus admin)"))
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(
            E.REASON_REQUIRED,
            _("Alasan membuka kembali periode wajib diisi."),
            fields={"reason": [_("Wajib diisi.")]},
        )
    period = Period.objects.select_for_update().get(pk=period.pk)
    fy = FiscalYear.objects.select_for_update().get(pk=period.fiscal_year_id)
    if period.status == Period.Status.OPEN and fy.status == FiscalYear.Status.OPEN:
        raise ApplicationError(E.PERIOD_STATE, _("Periode %(p)s masih terbuka.") % {"p": period})
    if fy.status == FiscalYear.Status.CLOSED:
        if FiscalYear.objects.filter(year__gt=fy.year, status=FiscalYear.Status.CLOSED).exists():
            raise ApplicationError(
                E.YEAR_ORDER,
                _("Buka dulu tahun buku sesudahnya sebelum membuka %(y)s.") % {"y": fy},
            )
        Period.objects.filter(fiscal_year=fy, month=12).update(status=Period.Status.OPEN)
        if fy.closing_entry_id:
            closing = JournalEntry.objects.get(pk=fy.closing_entry_id)
            lines = [
                LineSpec(
                    account=Account(pk=ln.account_id),
                    debit=ln.credit,
                    credit=ln.debit,
                    memo=ln.memo,
                )
                for ln in closing.lines.order_by("id")
            ]
            n = JournalEntry.objects.filter(
                source=JournalEntry.Source.CLOSING, fiscal_year=fy.year
            ).count()
            _post(
                on=fy.end_date,
                description=f"Pembatalan penutupan tahun buku {fy.year}: {reason}",
                lines=lines,
                source=JournalEntry.Source.CLOSING,
                source_ref=f"{fy.year}:{n + 1}",
                by=by,
                reverses=closing,
                audit_action="ledger.entry.closing_reverse",
                audit_reason=reason,
            )
        if period.month != 12:
            Period.objects.filter(fiscal_year=fy, month=12).update(status=Period.Status.CLOSED)
        fy.status = FiscalYear.Status.OPEN
        fy.closing_entry = None
        fy.save(update_fields=["status", "closing_entry"])
        audit_log(actor=by, action="ledger.year.reopen", target=fy, reason=reason)
    period.status = Period.Status.OPEN
    period.closed_at = None
    period.closed_by = None
    period.save(update_fields=["status", "closed_at", "closed_by"])
    audit_log(actor=by, action="ledger.period.reopen", target=period, reason=reason)
    return period


# --------------------------------------------------------------------------- accounts


@transaction.atomic
def account_create(
    *,
    code: str,
    name: str,
    type: str,
    parent: Account | None = None,
    is_group: bool = False,
    is_contra: bool = False,
    is_cash: bool = False,
    cash_flow: str = Account.CashFlow.OPERATING,
    by,
) -> Account:
    from .seeding import normal_side_for

    code = (code or "").strip()
    name = (name or "").strip()
    if not code or not code.isdigit():
        raise ApplicationError(
            E.ACCOUNT_INVALID,
            _("Kode akun wajib diisi dan hanya berisi angka."),
            fields={"code": [_("Kode tidak valid.")]},
        )
    if not name:
        raise ApplicationError(
            E.ACCOUNT_INVALID, _("Nama akun wajib diisi."), fields={"name": [_("Wajib diisi.")]}
        )
    if type not in Account.Type.values:
        raise ApplicationError(
            E.ACCOUNT_INVALID, _("Jenis akun tidak valid."), fields={"type": [_("Tidak valid.")]}
        )
    if Account.objects.filter(code=code).exists():
        raise ApplicationError(
            E.ACCOUNT_CODE_TAKEN,
            _("Kode akun %(c)s sudah dipakai.") % {"c": code},
            fields={"code": [_("Sudah dipakai.")]},
        )
    if parent is not None:
        if not parent.is_group:
            raise ApplicationError(
                E.ACCOUNT_INVALID,
                _("Induk harus akun kelompok."),
                fields={"parent": [_("Bukan akun kelompok.")]},
            )
        if parent.type != type:
            raise ApplicationError(
                E.ACCOUNT_INVALID,
                _("Jenis akun harus sama dengan induknya (%(t)s).")
                % {"t": parent.get_type_display()},
                fields={"type": [_("Berbeda dengan induk.")]},
            )
    acc = Account.objects.create(
        code=code,
        name=name,
        type=type,
        normal_side=normal_side_for(type, is_contra=is_contra),
        parent=parent,
        is_group=is_group,
        is_contra=is_contra,
        is_cash=is_cash,
        cash_flow=cash_flow,
    )
    audit_log(actor=by, action="ledger.account.create", target=acc)
    return acc


@transaction.atomic
def account_update(
    *,
    account: Account,
    by,
    name: str | None = None,
    type: str | None = None,
    is_active: bool | None = None,
    is_cash: bool | None = None,
    cash_flow: str | None = None,
) -> Account:
    """Rename, (de)activate, or change type of an account without postings."""
    from .seeding import normal_side_for

    acc = Account.objects.select_for_update().get(pk=account.pk)
    before = {"name": acc.name, "type": acc.type, "is_active": acc.is_active}
    if name is not None:
        name = name.strip()
        if not name:
            raise ApplicationError(
                E.ACCOUNT_INVALID, _("Nama akun wajib diisi."), fields={"name": [_("Wajib diisi.")]}
            )
        acc.name = name
    if type is not None and type != acc.type:
        if type not in Account.Type.values:
            raise ApplicationError(E.ACCOUNT_INVALID, _("Jenis akun tidak valid."))
        if JournalLine.objects.filter(account=acc).exists():
            raise ApplicationError(
                E.ACCOUNT_HAS_POSTINGS,
                _("Akun %(c)s sudah punya posting; jenisnya tidak boleh diubah.") % {"c": acc.code},
                fields={"type": [_("Akun sudah punya posting.")]},
            )
        acc.type = type
        acc.normal_side = normal_side_for(type, is_contra=acc.is_contra)
    if is_active is not None:
        if not is_active and AccountRole.objects.filter(account=acc).exists():
            raise ApplicationError(
                E.ACCOUNT_INVALID,
                _("Akun %(c)s dipakai oleh pengaturan modul; ganti pemetaannya dulu.")
                % {"c": acc.code},
            )
        acc.is_active = is_active
    if is_cash is not None:
        acc.is_cash = is_cash
    if cash_flow is not None:
        acc.cash_flow = cash_flow
    acc.save()
    audit_log(
        actor=by,
        action="ledger.account.update",
        target=acc,
        data={
            "before": before,
            "after": {"name": acc.name, "type": acc.type, "is_active": acc.is_active},
        },
    )
    return acc


@transaction.atomic
def account_delete(*, account: Account, by) -> None:
    if JournalLine.objects.filter(account=account).exists():
        raise ApplicationError(
            E.ACCOUNT_HAS_POSTINGS,
            _("Akun %(c)s sudah punya posting dan tidak dapat dihapus; nonaktifkan saja.")
            % {"c": account.code},
        )
    if AccountRole.objects.filter(account=account).exists() or account.children.exists():
        raise ApplicationError(
            E.ACCOUNT_INVALID,
            _("Akun %(c)s masih dipakai (pemetaan modul atau sub-akun).") % {"c": account.code},
        )
    audit_log(actor=by, action="ledger.account.delete", target=account)
    Account.objects.filter(pk=account.pk).delete()


@transaction.atomic
def account_role_set(*, key: str, account: Account, by) -> AccountRole:
    if account.is_group or not account.is_active:
        raise ApplicationError(
            E.ACCOUNT_INVALID, _("Peran hanya dapat dipetakan ke akun aktif yang bukan kelompok.")
        )
    role, _created = AccountRole.objects.update_or_create(key=key, defaults={"account": account})
    audit_log(actor=by, action="ledger.role.set", target=role, data={"account": account.code})
    return role


@transaction.atomic
def ledger_settings_update(
    *, by, manual_entry_approval: bool | None = None, capital_savings_as: str | None = None
) -> LedgerSettings:
    """Change the cooperative's ledger settings. Switching simpanan pokok/wajib between
    equity and liability is allowed only while their accounts have no postings."""
    from .seeding import chart_seed

    _require(by, SETTINGS_ADMINS, _("mengubah pengaturan buku besar"))
    row = LedgerSettings.objects.select_for_update().get_or_create(id=1)[0]
    if manual_entry_approval is not None:
        row.manual_entry_approval = manual_entry_approval
    if capital_savings_as is not None and capital_savings_as != row.capital_savings_as:
        if capital_savings_as not in LedgerSettings.CapitalAs.values:
            raise ApplicationError(E.ACCOUNT_INVALID, _("Pilihan tidak valid."))
        roles = AccountRole.objects.filter(key__in=["savings_pokok", "savings_wajib"])
        if JournalLine.objects.filter(account_id__in=roles.values("account_id")).exists():
            raise ApplicationError(
                E.SETTINGS_LOCKED,
                _("Simpanan pokok/wajib sudah punya posting; pencatatannya tidak dapat diubah."),
            )
        row.capital_savings_as = capital_savings_as
        row.save()
        old = list(roles.values_list("account_id", flat=True))
        roles.delete()
        chart_seed(capital_savings_as=capital_savings_as)
        Account.objects.filter(pk__in=old).update(is_active=False)
        Account.objects.filter(pk__in=AccountRole.objects.values("account_id")).update(
            is_active=True
        )
    row.save()
    audit_log(
        actor=by,
        action="ledger.settings.update",
        target=row,
        data={
            "manual_entry_approval": row.manual_entry_approval,
            "capital_savings_as": row.capital_savings_as,
        },
    )
    return row


# --------------------------------------------------------------------------- manual entries


def _lines_to_json(lines: Sequence[LineSpec]) -> list[dict]:
    return [
        {
            "account": s.account.code if isinstance(s.account, Account) else s.account,
            "debit": str(s.debit),
            "credit": str(s.credit),
            "member_id": s.member_id,
            "memo": s.memo,
        }
        for s in lines
    ]


def _lines_from_json(data: list[dict]) -> list[LineSpec]:
    return [
        LineSpec(
            account=d["account"],
            debit=Decimal(d.get("debit") or "0"),
            credit=Decimal(d.get("credit") or "0"),
            member_id=d.get("member_id"),
            memo=d.get("memo") or "",
        )
        for d in data
    ]


@transaction.atomic
def manual_entry_submit(
    *, on: date, description: str, lines: Sequence[LineSpec], by
) -> JournalEntry | ManualEntryRequest:
    """A manual journal entry by staff: posted at once, or — when the cooperative turns
    approval on — stored as a request for another treasury user to approve."""
    _require(by, TREASURY, _("membuat jurnal manual"))
    if not LedgerSettings.get().manual_entry_approval:
        return _post(
            on=on,
            description=description,
            lines=lines,
            source=JournalEntry.Source.MANUAL,
            source_ref="",
            by=by,
        )
    # Validate now so the approver sees a postable entry (rechecked at approval).
    if not (description or "").strip():
        raise ApplicationError(
            E.DESCRIPTION_REQUIRED,
            _("Uraian jurnal wajib diisi."),
            fields={"description": [_("Wajib diisi.")]},
        )
    if len(lines) < 2:
        raise ApplicationError(E.NO_LINES, _("Jurnal harus punya paling sedikit dua baris."))
    _validated_amounts(lines)
    _resolve_accounts(lines)
    _open_period_for(on)
    req = ManualEntryRequest.objects.create(
        date=on,
        description=description.strip(),
        lines=_lines_to_json(lines),
        requested_by=by,
    )
    audit_log(actor=by, action="ledger.manual.submit", target=req)
    return req


@transaction.atomic
def manual_entry_approve(*, request: ManualEntryRequest, by) -> JournalEntry:
    _require(by, TREASURY | {"ketua"}, _("menyetujui jurnal manual"))
    req = ManualEntryRequest.objects.select_for_update().get(pk=request.pk)
    if req.status != ManualEntryRequest.Status.PENDING:
        raise ApplicationError(E.REQUEST_STATE, _("Permintaan ini sudah diputuskan."))
    if req.requested_by_id == getattr(by, "pk", None):
        raise ApplicationError(
            E.NOT_ALLOWED,
            _("Jurnal manual harus disetujui oleh pengguna lain."),
            status=403,
        )
    entry = _post(
        on=req.date,
        description=req.description,
        lines=_lines_from_json(req.lines),
        source=JournalEntry.Source.MANUAL,
        source_ref=f"request:{req.pk}",
        by=by,
    )
    req.status = ManualEntryRequest.Status.APPROVED
    req.decided_by = by
    req.decided_at = timezone.now()
    req.entry = entry
    req.save()
    audit_log(actor=by, action="ledger.manual.approve", target=req, data={"entry": str(entry)})
    return entry


@transaction.atomic
def manual_entry_reject(*, request: ManualEntryRequest, reason: str, by) -> ManualEntryRequest:
    _require(by, TREASURY | {"ketua"}, _("menolak jurnal manual"))
    if not (reason or "").strip():
        raise ApplicationError(E.REASON_REQUIRED, _("Alasan penolakan wajib diisi."))
    req = ManualEntryRequest.objects.select_for_update().get(pk=request.pk)
    if req.status != ManualEntryRequest.Status.PENDING:
        raise ApplicationError(E.REQUEST_STATE, _("Permintaan ini sudah diputuskan."))
    req.status = ManualEntryRequest.Status.REJECTED
    req.decided_by = by
    req.decided_at = timezone.now()
    req.decision_reason = reason.strip()
    req.save()
    audit_log(actor=by, action="ledger.manual.reject", target=req, reason=reason)
    return req


def previous_day(d: date) -> date:
    return d - timedelta(days=1)
