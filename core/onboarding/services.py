"""Writes of the move-in: start it (cut-over date first), post the opening trial balance
as ONE opening entry, go live (months up to the cut-over closed), undo.

The opening entry is posted through the ledger's ``journal_post`` with source
``opening`` (the source the member import uses): it may be dated in the year before the
books start and may carry control-account lines (loan receivable, PPAP), which manual
entries may not. Savings control accounts are the exception: their sub-ledger is
brought in by the member import, which posts its own opening entry (Dr opening balance
equity, Cr each savings product). So the trial balance's savings lines are posted to the
opening-balance (clearing) account instead; once the member import is in with the same
date, the clearing account nets to zero and the savings accounts equal the trial
balance. The reconciliation checks exactly that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import ProtectedError, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.dates import format_bulan, format_tanggal
from core.common.errors import ApplicationError, reason_required, text_checked
from core.common.money import format_rupiah, parse_rupiah
from core.common.spreadsheet import CellProblem, nip_cell
from core.common.uploads import upload_check
from core.ledger.close_guards import close_blocks, close_lock
from core.ledger.models import Account, FiscalYear, JournalEntry, Period
from core.ledger.selectors import account_for_role
from core.ledger.services import (
    LineSpec,
    account_create,
    books_closed_until,
    books_start,
    fiscal_year_ensure,
    journal_post,
    journal_reverse,
    manual_requests_refusal,
    period_close,
    period_not_ended,
    period_reopen,
)
from core.loans.models import Instalment, Loan, LoanGradeSnapshot
from core.members.models import Member, MemberImport
from core.members.services import member_rejoin_revert
from core.onboarding.audit import OnboardingAudit
from core.savings.models import SavingsAccount, SavingsProduct, SavingsTransaction

from .capital import capital_balances_remove
from .common import E, raise_row_errors, require_role, row_error, row_number
from .contributions import shu_contributions_remove
from .models import MoveIn, MoveInAdjustment, MoveInLoan, UploadPreview
from .preview import PreviewConfirmed, upload_preview_confirm, upload_previews_remove
from .selectors import (
    move_in_member_imports_off_cutover,
    move_in_reconciliation,
)

ZERO = Decimal("0")


# --------------------------------------------------------------------------- move-in


def move_in_current() -> MoveIn | None:
    return MoveIn.objects.exclude(status=MoveIn.Status.UNDONE).first()


def move_in_get() -> MoveIn:
    mi = move_in_current()
    if mi is None:
        raise ApplicationError(
            E.NO_MOVE_IN,
            _("Belum ada proses pindah ke Lumbung; tentukan dulu tanggal pindah (cut-over)."),
            status=404,
        )
    return mi


@transaction.atomic
def move_in_start(*, cutover_date: date, by) -> MoveIn:
    """Start a move-in with its cut-over date (the day the old books end; usually the
    last day of a month or of the last audited year). Not in the future, not more than
    one year before the books start (the opening entry may open that year only).

    Takes the close lock first (``core.ledger.close_guards.close_lock``): a month or year
    close running at the same moment either committed before (its month is seen closed
    here) or waits and then refuses this draft (``move_in_close_refusal``), never both."""
    require_role(by, _("memulai pindah ke Lumbung"))
    close_lock()
    if not isinstance(cutover_date, date):
        raise ApplicationError(
            E.CUTOVER_INVALID,
            _("Tanggal pindah tidak valid."),
            fields={"cutover_date": [_("Tanggal tidak valid.")]},
        )
    if cutover_date > timezone.localdate():
        raise ApplicationError(
            E.CUTOVER_INVALID,
            _("Tanggal pindah %(d)s di masa depan.") % {"d": format_tanggal(cutover_date)},
            fields={"cutover_date": [_("Tidak boleh di masa depan.")]},
        )
    start = books_start()
    if cutover_date < date(start.year - 1, 1, 1):
        raise ApplicationError(
            E.CUTOVER_INVALID,
            _("Tanggal pindah %(d)s terlalu jauh sebelum awal pembukuan (%(s)s).")
            % {"d": format_tanggal(cutover_date), "s": format_tanggal(start)},
            fields={"cutover_date": [_("Sebelum awal pembukuan.")]},
        )
    closed_until = books_closed_until()
    if closed_until is not None and cutover_date <= closed_until:
        # the opening entry (and the member import's) could never be posted there
        raise ApplicationError(
            E.CUTOVER_INVALID,
            _(
                "Tanggal pindah %(d)s jatuh di bulan yang sudah ditutup (buku ditutup sampai "
                "%(c)s); pilih tanggal sesudahnya atau buka kembali bulannya."
            )
            % {"d": format_tanggal(cutover_date), "c": format_tanggal(closed_until)},
            fields={"cutover_date": [_("Bulan itu sudah ditutup.")]},
        )
    if MoveIn.objects.select_for_update().exclude(status=MoveIn.Status.UNDONE).exists():
        raise ApplicationError(
            E.MOVE_IN_EXISTS,
            _("Proses pindah ke Lumbung sudah ada; lanjutkan atau batalkan yang itu."),
            status=409,
        )
    mi = MoveIn.objects.create(cutover_date=cutover_date, created_by=by)
    audit_log(
        actor=by, action=OnboardingAudit.START, target=mi, data={"cutover": str(cutover_date)}
    )
    return mi


def _status_refusal(mi: MoveIn) -> ApplicationError | None:
    """Why the draft's steps are closed: the move-in is live or undone. None for a draft."""
    if mi.status == MoveIn.Status.DRAFT:
        return None
    return ApplicationError(
        E.WRONG_STATE,
        _("Proses pindah sudah %(s)s; langkah ini tidak dapat diubah lagi.")
        % {"s": mi.get_status_display()},
        status=409,
    )


def _status_open(mi: MoveIn) -> None:
    refusal = _status_refusal(mi)
    if refusal is not None:
        raise refusal


def cutover_open_check(mi: MoveIn) -> None:
    """Refuse a step that brings balances in at the cut-over (the opening trial balance,
    the loans, an adjustment) when the cut-over's month was closed after the move-in
    started (a year end, a month closed): nothing may come into a closed period, and
    the books the closing read must not change under it. Says which year or month, and
    what to do: before anything was posted, undo and start again after it; after the
    opening entry, reopen the year, finish, and close it again."""
    closed_until = books_closed_until()
    if closed_until is None or mi.cutover_date > closed_until:
        return
    year = mi.cutover_date.year
    if FiscalYear.objects.filter(year=year, status=FiscalYear.Status.CLOSED).exists():
        period = _("tahun buku %(y)s") % {"y": year}
    else:
        period = _("bulan %(m)s tahun buku %(y)s") % {
            "m": format_bulan(mi.cutover_date),
            "y": year,
        }
    if not mi.opening_entry_id:
        message = _(
            "Tanggal pindah %(d)s ada di %(p)s yang sudah ditutup (buku ditutup sampai "
            "%(c)s): saldo awal tidak dapat diposting ke sana; tidak ada yang disimpan. "
            "Batalkan pindah ke Lumbung ini lalu mulai lagi dengan tanggal pindah sesudah "
            "%(c)s, atau minta admin membuka kembali %(p)s sampai bulan tanggal pindah."
        )
    else:
        message = _(
            "Tanggal pindah %(d)s ada di %(p)s yang ditutup sesudah saldo awal diposting "
            "(buku ditutup sampai %(c)s): pinjaman, simpanan dan penyesuaian tidak dapat "
            "lagi dibawa masuk per tanggal itu; tidak ada yang disimpan. Minta admin membuka "
            "kembali %(p)s sampai bulan tanggal pindah, selesaikan pindah ke Lumbung, lalu "
            "tutup kembali."
        )
    raise ApplicationError(
        E.CUTOVER_CLOSED,
        message
        % {"d": format_tanggal(mi.cutover_date), "p": period, "c": format_tanggal(closed_until)},
        status=409,
    )


def move_in_close_refusal(up_to: date) -> ApplicationError | None:
    """Why the books may not be closed up to ``up_to`` (a month's or a year's end): a
    move-in still being prepared whose cut-over is on or before it, since once that is
    closed its trial balance, loans and adjustments can no longer come in
    (``cutover_open_check``). Registered with ``core.ledger.close_guards`` (``apps.py``):
    the month close and the year close ask it inside their transaction. Names the move-in
    (when it started, its cut-over) and what to do: finish it or undo it first."""
    mi = (
        MoveIn.objects.filter(status=MoveIn.Status.DRAFT, cutover_date__lte=up_to)
        .order_by("cutover_date", "pk")
        .first()
    )
    if mi is None:
        return None
    message = _(
        "Buku tidak dapat ditutup sampai %(u)s: pindah ke Lumbung yang dimulai %(s)s "
        "dengan tanggal pindah %(d)s belum selesai, dan sesudah ditutup saldo awal per "
        "tanggal itu tidak dapat lagi dibawa masuk. Tidak ada yang ditutup. Selesaikan "
        "pindah ke Lumbung itu (go-live) atau batalkan dulu di menu Pindah ke Lumbung, "
        "lalu tutup lagi."
    )
    return ApplicationError(
        E.CLOSE_MOVE_IN_UNFINISHED,
        message
        % {
            "u": format_tanggal(up_to),
            "s": format_tanggal(timezone.localtime(mi.created_at).date()),
            "d": format_tanggal(mi.cutover_date),
        },
        fields={"move_in": [{"id": mi.pk, "cutover_date": mi.cutover_date.isoformat()}]},
        status=409,
    )


def _draft(mi: MoveIn) -> MoveIn:
    """The move-in's row, locked, refused unless a draft: the first thing the draft's
    steps (the trial balance, the loans, an adjustment) do.

    They take no close lock, and need none. The row lock makes them take turns with the
    go-live and the undo, the only writes of the status, which lock it too (after the
    close lock). And no close can change what they check or post meanwhile: the draft
    they lock is committed and stays a draft, so any close of a month or year ending on
    or after its cut-over is refused by the guard (``move_in_close_refusal``), before
    or after the step's commit alike; a month ending before the cut-over may close, but
    the step's entries are dated the cut-over, after it, and the closing entry of a
    year before the cut-over needs entries in that year, which ``entries_up_to_cutover``
    refuses already. (``tests/onboarding/test_close_lock_steps_race.py``.)"""
    mi = MoveIn.objects.select_for_update().get(pk=mi.pk)
    _status_open(mi)
    return mi


# --------------------------------------------------------------------------- trial balance


def _norm(text: str) -> str:
    return " ".join(str(text or "").split()).lower()


def _resolve_account(
    key: str, *, by_code: dict, by_name: dict, mappings: dict, creations: dict
) -> tuple[Account | None, str, dict | None]:
    """The account a trial-balance row names: its code, else its name (unique), else the
    request's mapping (given text → existing code) or creation (given text → {code, name,
    parent}). Returns (account, error, creation spec)."""
    if key in mappings:
        acc = by_code.get(str(mappings[key]).strip())
        if acc is None:
            return (
                None,
                _("Pemetaan ke akun %(c)s: akun itu tidak ada.") % {"c": mappings[key]},
                None,
            )
        return acc, "", None
    if key in creations:
        return None, "", creations[key]
    acc = by_code.get(key)
    if acc is None:
        found = by_name.get(_norm(key), [])
        if len(found) == 1:
            acc = found[0]
        elif len(found) > 1:
            return None, _("Nama akun '%(k)s' tidak unik; tulis kodenya.") % {"k": key}, None
    if acc is None:
        return (
            None,
            _(
                "Akun '%(k)s' tidak ada di bagan akun: petakan ke akun yang ada atau buat "
                "akun baru di bawah akun induknya."
            )
            % {"k": key},
            None,
        )
    return acc, "", None


_PARENTHESES = re.compile(r"^(?:rp\.?|idr)?\s*\((.*)\)$", re.IGNORECASE)


def _negative_written(value: Any, label: str) -> str:
    """The row error for a negative balance (``-1.000``, ``(1.000)`` as accounting
    software prints a contra balance), saying it belongs on the other side; ``""`` when
    ``value`` is not a negative amount."""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        negative = value < 0
    else:
        text = " ".join(str(value or "").split())
        m = _PARENTHESES.match(text)
        body = m.group(1) if m else (text[1:] if text[:1] in "-\u2212" and text[1:] else "")
        try:
            negative = bool(body) and parse_rupiah(body, whole=False) > 0
        except ValidationError:
            negative = False
    if not negative:
        return ""
    other = _("kredit") if label == _("Debit") else _("debit")
    return _(
        "%(f)s %(v)s negatif: saldo neraca saldo ditulis tanpa tanda minus atau kurung, "
        "di kolom %(o)s bila saldonya berlawanan."
    ) % {"f": label, "v": str(value).strip()[:40], "o": other}


def trial_balance_check(
    *, rows: list[dict[str, Any]], mappings: dict | None = None, creations: dict | None = None
) -> tuple[list[tuple[int, Any, Decimal, Decimal]], list[dict]]:
    """Parse and check trial-balance rows ``{"row", "account", "debit", "credit"}`` (from
    a file or the API). Returns ``(lines, errors)``: lines as ``(row, account or creation
    spec, debit, credit)``; errors per row. The balance is checked by the caller. A
    control character, a line break or a tab in the mapping is refused
    (``trial_balance_mapping_checked``)."""
    trial_balance_mapping_checked(mappings=mappings or {}, creations=creations or {})
    mappings = {str(k).strip(): v for k, v in (mappings or {}).items()}
    creations = {str(k).strip(): v for k, v in (creations or {}).items()}
    accounts = list(Account.objects.all())
    by_code = {a.code: a for a in accounts}
    by_name: dict[str, list[Account]] = {}
    for a in accounts:
        by_name.setdefault(_norm(a.name), []).append(a)
    lines, errors = [], []
    seen: dict[int, int] = {}
    seen_new: dict[str, int] = {}  # the codes of new accounts, by row
    for i, raw in enumerate(rows, start=1):
        n = row_number(raw.get("row"), i, errors)
        problems = [
            f for f in ("account", "debit", "credit") if isinstance(raw.get(f), CellProblem)
        ]
        for f in problems:  # a cell Excel could not compute (#N/A, a formula never saved)
            errors.append(row_error(n, f, raw[f].message))
        if problems:
            continue
        key = str(raw.get("account") or "").strip()
        if not key:
            errors.append(row_error(n, "account", _("Kode atau nama akun wajib diisi.")))
            continue
        amounts = []
        for side, label in (("debit", _("Debit")), ("credit", _("Kredit"))):
            value = raw.get(side)
            negative = _negative_written(value, label)
            if negative:
                errors.append(row_error(n, side, negative))
                amounts.append(None)
                continue
            try:
                amounts.append(
                    parse_rupiah(value, field=label, allow_dash_zero=True)
                    if value not in (None, "")
                    else ZERO
                )
            except Exception as exc:  # RupiahError: a ValidationError with the message
                errors.append(row_error(n, side, " ".join(getattr(exc, "messages", [str(exc)]))))
                amounts.append(None)
        if None in amounts:
            continue
        debit, credit = amounts
        if debit > 0 and credit > 0:
            errors.append(row_error(n, "debit", _("Isi debit atau kredit, tidak keduanya.")))
            continue
        acc, err, spec = _resolve_account(
            key, by_code=by_code, by_name=by_name, mappings=mappings, creations=creations
        )
        if err:
            errors.append(row_error(n, "account", err))
            continue
        if acc is not None:
            if acc.is_group:
                errors.append(
                    row_error(
                        n,
                        "account",
                        _("Akun %(c)s %(m)s adalah akun kelompok; isi saldo pada akun rinciannya.")
                        % {"c": acc.code, "m": acc.name},
                    )
                )
                continue
            if not acc.is_active:
                errors.append(
                    row_error(n, "account", _("Akun %(c)s tidak aktif.") % {"c": acc.code})
                )
                continue
            if acc.pk in seen:
                errors.append(
                    row_error(
                        n,
                        "account",
                        _("Akun %(c)s sudah ada di baris %(r)s.")
                        % {"c": acc.code, "r": seen[acc.pk]},
                    )
                )
                continue
            seen[acc.pk] = n
        if debit == 0 and credit == 0:
            continue  # a zero row says nothing
        if acc is None:  # a new account: what ``account_create`` would refuse, said now
            problem = _creation_problem(spec, by_code=by_code, seen=seen_new)
            if problem:
                errors.append(row_error(n, "account", problem))
                continue
            seen_new[str(spec["code"]).strip()] = n
        lines.append((n, acc if acc is not None else spec, debit, credit))
    return lines, errors


def trial_balance_mapping_checked(*, mappings: dict, creations: dict) -> None:
    """The mapping of unknown accounts as it came (before blanks are trimmed): the text
    of the file each maps or creates, the code it maps to, a new account's code, name
    and parent are each one line of ordinary text; a control character, a line break
    or a tab in one is refused (``validation_error`` on ``mappings`` or ``creations``,
    ``text_checked``), before anything is checked or written."""
    for key, code in mappings.items():
        for text in (key, code):
            text_checked(text, field="mappings", label=_("Pemetaan akun"), multiline=False)
    for key, spec in creations.items():
        for text in (key, *(spec.values() if isinstance(spec, dict) else ())):
            text_checked(text, field="creations", label=_("Akun baru"), multiline=False)


def _creation_problem(spec: Any, *, by_code: dict, seen: dict[str, int]) -> str:
    """Why a new account of the mapping (``{"code", "name", "parent"}``) cannot be made,
    or "" (the checks of ``account_create``, so that a preview and the row report say
    them at once)."""
    if not isinstance(spec, dict):
        return _("Akun baru harus berisi kode, nama dan induk.")
    code = str(spec.get("code") or "").strip()
    parent = by_code.get(str(spec.get("parent") or "").strip())
    if not code or not code.isdigit():
        return _("Kode akun wajib diisi dan hanya berisi angka.")
    if not str(spec.get("name") or "").strip():
        return _("Nama akun wajib diisi.")
    if code in by_code:
        return _("Kode akun %(c)s sudah dipakai.") % {"c": code}
    if code in seen:
        return _("Akun %(c)s sudah ada di baris %(r)s.") % {"c": code, "r": seen[code]}
    if parent is None:
        return _("Akun induk '%(p)s' tidak ada.") % {"p": str(spec.get("parent") or "-")[:40]}
    if not parent.is_group:
        return _("Induk harus akun kelompok.")
    return ""


def _create_account(spec: Any, *, row: int, by) -> Account:
    if not isinstance(spec, dict):
        raise ApplicationError(
            E.ROWS_INVALID,
            _("Baris %(n)s: akun baru harus berisi kode, nama dan induk.") % {"n": row},
        )
    parent = Account.objects.filter(code=str(spec.get("parent") or "").strip()).first()
    if parent is None:
        raise ApplicationError(
            E.ROWS_INVALID,
            _("Baris %(n)s: akun induk '%(p)s' tidak ada.") % {"n": row, "p": spec.get("parent")},
            fields={"rows": [row_error(row, "account", _("Akun induk tidak ada."))]},
        )
    try:
        return account_create(
            code=str(spec.get("code") or ""),
            name=str(spec.get("name") or ""),
            type=parent.type,
            parent=parent,
            is_group=False,
            by=by,
        )
    except ApplicationError as exc:
        raise ApplicationError(
            E.ROWS_INVALID,
            _("Baris %(n)s: akun baru tidak dapat dibuat: %(m)s") % {"n": row, "m": exc.message},
            fields={"rows": [row_error(row, "account", exc.message)]},
        ) from exc


def trial_balance_mapping_parse(text: str) -> tuple[dict, dict]:
    """The screen's mapping of unknown accounts: lines ``teks = kode`` (map to an
    existing account) or ``teks = kode; nama; induk`` (create a new account under the
    parent). Returns ``(mappings, creations)`` as the services take them. A control
    character in the text is refused (``validation_error`` on ``mapping``; its lines and
    tabs are fine), before it is split into lines."""
    text_checked(text or "", field="mapping", label=_("Pemetaan akun"), multiline=True)
    mappings, creations = {}, {}
    for line in (text or "").splitlines():
        if "=" not in line:
            continue
        key, value = (p.strip() for p in line.split("=", 1))
        parts = [p.strip() for p in value.split(";")]
        if len(parts) >= 3:
            creations[key] = {"code": parts[0], "name": parts[1], "parent": parts[2]}
        elif value:
            mappings[key] = value
    return mappings, creations


def trial_balance_options_maps(options: dict) -> tuple[dict, dict]:
    """The mapping a trial balance's preview was checked with (``UploadPreview.options``):
    the screen's text (``mapping``) or the API's objects (``mappings``, ``creations``),
    so that the save uses the very mapping the preview showed, whichever made it."""
    if options.get("mapping"):
        return trial_balance_mapping_parse(options["mapping"])
    return dict(options.get("mappings") or {}), dict(options.get("creations") or {})


def trial_balance_check_open(mi: MoveIn) -> None:
    """Refuse when the move-in is no longer a draft or its trial balance is posted."""
    _status_open(mi)
    if mi.opening_entry_id:
        raise ApplicationError(
            E.WRONG_STATE,
            _("Neraca saldo awal sudah diposting (%(e)s); batalkan pindah untuk mengulang.")
            % {"e": mi.opening_entry},
            status=409,
        )
    cutover_open_check(mi)
    up_to = entries_up_to_cutover(mi)
    n = up_to.count()
    if n:
        earlier = list(up_to[:5])
        raise ApplicationError(
            E.WRONG_STATE,
            _(
                "Sudah ada %(n)s jurnal bertanggal sampai tanggal pindah %(d)s (%(l)s): neraca "
                "saldo awal akan menggandakan saldo yang sudah dibukukan. Balik dulu jurnal "
                "itu, atau batalkan pindah ke Lumbung bila saldo awal sudah diisi lewat "
                "jurnal; tidak ada yang diposting."
            )
            % {
                "n": n,
                "d": format_tanggal(mi.cutover_date),
                "l": ", ".join(str(e) for e in earlier) + (", …" if n > 5 else ""),
            },
            fields={"entries": [e.pk for e in earlier]},
            status=409,
        )


def entries_up_to_cutover(mi: MoveIn) -> QuerySet[JournalEntry]:
    """Entries in force dated on or before the cut-over that the opening trial balance
    would double: anything but the member import's opening balances (its savings lines
    net against the trial balance's, see the module's docstring) and entries reversed
    (an earlier move-in undone) or reversing. A manual opening journal, a real posting
    or a closed year before the cut-over are already in the books."""
    return (
        JournalEntry.objects.filter(
            date__lte=mi.cutover_date, reverses__isnull=True, reversals__isnull=True
        )
        .exclude(source=JournalEntry.Source.OPENING, source_ref__startswith="member-import:")
        .order_by("date", "pk")
    )


def _trial_balance_lines(
    rows: list[dict[str, Any]], mappings: dict | None, creations: dict | None
) -> tuple[list[tuple[int, Any, Decimal, Decimal]], Decimal]:
    """The checked lines and their total, or every row error at once, or the refusal of
    an empty or unbalanced trial balance."""
    lines, errors = trial_balance_check(rows=rows, mappings=mappings, creations=creations)
    raise_row_errors(errors, _("Neraca saldo awal berisi kesalahan; tidak ada yang disimpan."))
    if not lines:
        raise ApplicationError(E.ROWS_INVALID, _("Neraca saldo awal kosong."))
    total_d = sum((d for _n, _a, d, _c in lines), ZERO)
    total_c = sum((c for _n, _a, _d, c in lines), ZERO)
    if total_d != total_c:
        raise ApplicationError(
            E.UNBALANCED,
            _("Neraca saldo tidak seimbang: debit %(d)s, kredit %(c)s, selisih %(x)s.")
            % {
                "d": format_rupiah(total_d),
                "c": format_rupiah(total_c),
                "x": format_rupiah(abs(total_d - total_c)),
            },
            fields={"total_debit": str(total_d), "total_credit": str(total_c)},
        )
    return lines, total_d


def trial_balance_preview(
    *,
    move_in: MoveIn,
    rows: list[dict[str, Any]],
    by,
    mappings: dict | None = None,
    creations: dict | None = None,
) -> dict:
    """What ``trial_balance_post`` would post for ``rows``, checked the same way (every
    row error at once, the balance), nothing written: per line the account (a new one
    with its parent), debit and credit, and where it is posted (a savings product's line
    goes to the opening-balance account, its members' figures coming with the member
    import); the totals and the cut-over the entry is dated."""
    require_role(by, _("memposting neraca saldo awal"))
    mi = MoveIn.objects.get(pk=move_in.pk)
    trial_balance_check_open(mi)
    lines, total = _trial_balance_lines(rows, mappings, creations)
    savings_accounts = set(SavingsProduct.objects.values_list("account_id", flat=True))
    clearing = account_for_role("opening_balance")
    out = []
    for n, acc, d, c in lines:
        new = not isinstance(acc, Account)
        out.append(
            {
                "row": n,
                "code": str(acc["code"]).strip() if new else acc.code,
                "name": str(acc["name"]).strip() if new else acc.name,
                "new": new,
                "parent": str(acc["parent"]).strip() if new else "",
                "debit": d,
                "credit": c,
                # a savings product's line: posted to the opening-balance account
                "posted_to": clearing if not new and acc.pk in savings_accounts else None,
            }
        )
    total_credit = sum((x["credit"] for x in out), ZERO)
    return {
        "cutover": mi.cutover_date,
        "lines": out,
        "total": total,
        # the totals as the treasurer checks them before the confirm (equal: an
        # unbalanced trial balance is refused above)
        "total_debit": total,
        "total_credit": total_credit,
        "difference": abs(total - total_credit),
        "new_accounts": sum(1 for x in out if x["new"]),
    }


def _grid_figures(rows: list[dict]) -> dict[str, tuple[str, str]]:
    return {
        str(r.get("account")): (str(r.get("debit") or ""), str(r.get("credit") or "")) for r in rows
    }


@transaction.atomic
def trial_balance_preview_post(
    *,
    reference: str,
    by,
    rows: list[dict[str, Any]] | None = None,
    content: bytes | None = None,
    options: dict | None = None,
) -> PreviewConfirmed[JournalEntry]:
    """The confirm of a trial balance's preview, the grid's and the uploaded file's alike
    (``reference``: the kept preview, ``upload_preview_keep_rows`` or
    ``upload_preview_keep``), through the confirm every step's preview has
    (``upload_preview_confirm``): what was kept then is posted, with the mapping it was
    checked with, once, by the user who previewed it (the reference's own refusals:
    altered, a kept file or mapping no longer the one signed, expired, used,
    another user's); a file sent with it (``content``) must be the kept one, byte for
    byte, and a mapping sent with it (``options``, parsed) the kept one. The grid's
    confirm sends the grid as typed now (``rows``): figures typed over
    since the preview are refused (``PREVIEW_CHANGED``, nothing posted), the changed
    accounts named. ``saved`` of the answer: the opening entry."""

    def post(move_in: MoveIn, kept_rows: list[dict[str, Any]], options: dict) -> JournalEntry:
        if rows is not None:
            before, now = _grid_figures(kept_rows), _grid_figures(rows)
            changed = sorted(c for c in before.keys() | now.keys() if before.get(c) != now.get(c))
            if changed:
                raise ApplicationError(
                    E.PREVIEW_CHANGED,
                    _(
                        "Angka di tabel berubah sejak pratinjau (%(a)s); tidak ada yang "
                        "diposting. Tekan Hitung total dan pratinjau lagi, periksa, lalu "
                        "posting."
                    )
                    % {"a": ", ".join(changed)},
                )
        mappings, creations = trial_balance_options_maps(options)
        return trial_balance_post(
            move_in=move_in, rows=kept_rows, mappings=mappings, creations=creations, by=by
        )

    return upload_preview_confirm(
        reference=reference,
        kind="trial_balance",
        by=by,
        save=post,
        content=content,
        options=options,
    )


@transaction.atomic
def trial_balance_post(
    *,
    move_in: MoveIn,
    rows: list[dict[str, Any]],
    by,
    mappings: dict | None = None,
    creations: dict | None = None,
) -> JournalEntry:
    """Post the opening trial balance as ONE opening entry dated the cut-over date. Every
    row error is reported at once; an unbalanced total is refused; nothing is written on
    any error (the accounts created for unknown rows included)."""
    require_role(by, _("memposting neraca saldo awal"))
    mi = _draft(move_in)  # no close lock needed: see ``_draft``
    trial_balance_check_open(mi)
    lines, total_d = _trial_balance_lines(rows, mappings, creations)
    savings_accounts = set(SavingsProduct.objects.values_list("account_id", flat=True))
    clearing = account_for_role("opening_balance")
    specs = []
    for n, acc, d, c in lines:
        if not isinstance(acc, Account):
            acc = _create_account(acc, row=n, by=by)
        if acc.pk in savings_accounts:
            # brought in per member by the member import (see the module's docstring)
            specs.append(
                LineSpec(
                    account=clearing,
                    debit=d,
                    credit=c,
                    memo=_("Saldo awal %(c)s %(m)s (rincian per anggota: impor anggota)")
                    % {"c": acc.code, "m": acc.name},
                )
            )
        else:
            specs.append(LineSpec(account=acc, debit=d, credit=c, memo=f"{acc.code} {acc.name}"))
    fiscal_year_ensure(year=mi.cutover_date.year)
    entry = journal_post(
        on=mi.cutover_date,
        description=_("Saldo awal pindah ke Lumbung per %(d)s")
        % {"d": mi.cutover_date.isoformat()},
        lines=specs,
        source=JournalEntry.Source.OPENING,
        source_ref=f"move-in:{mi.pk}:trial-balance",
        by=by,
    )
    mi.opening_entry = entry
    mi.trial_balance_step = MoveIn.Step.DONE
    mi.trial_balance_rows = [
        {
            "row": n,
            "account": a.code if isinstance(a, Account) else a,
            "debit": str(d),
            "credit": str(c),
        }
        for n, a, d, c in lines
    ]
    mi.save(
        update_fields=["opening_entry", "trial_balance_step", "trial_balance_rows", "updated_at"]
    )
    audit_log(
        actor=by,
        action=OnboardingAudit.TRIAL_BALANCE,
        target=mi,
        data={"entry": entry.pk, "lines": len(specs), "total": str(total_d)},
    )
    return entry


# --------------------------------------------------------------------------- adjustment


def _adjust_error(message: str, field: str) -> ApplicationError:
    return ApplicationError(E.ADJUSTMENT_INVALID, message, fields={field: [message]})


@transaction.atomic
def move_in_adjust(
    *,
    move_in: MoveIn,
    account: str,
    explanation: str,
    by,
    amount: Any = None,
    offset_account: str = "",
    document=None,
) -> MoveInAdjustment:
    """A documented adjustment of a control account whose sub-ledger differs from the
    opening trial balance: posted as an opening entry dated the cut-over that moves the
    books by the difference (``amount``: whole rupiah, at most the difference; all of it
    when not given) toward the sub-ledger, against ``offset_account`` (default: the
    opening-balance equity; a savings account's trial-balance line sits on that account,
    so its adjustment needs another one). The explanation is mandatory (lines and tabs
    are fine, a control character is refused: ``text_checked``); a supporting
    document (PDF/PNG/JPG) optional. Audited; shown in the reconciliation."""
    require_role(by, _("memposting penyesuaian rekonsiliasi"))
    mi = _draft(move_in)  # no close lock needed: see ``_draft``
    if not mi.opening_entry_id:
        raise ApplicationError(E.WRONG_STATE, _("Neraca saldo awal belum diposting."), status=409)
    cutover_open_check(mi)
    explanation = (explanation or "").strip() if isinstance(explanation, str) else ""
    if not explanation:
        raise _adjust_error(_("Penjelasan penyesuaian wajib diisi."), "explanation")
    if len(explanation) > 2000:
        raise _adjust_error(_("Penjelasan terlalu panjang (maksimal 2000 huruf)."), "explanation")
    text_checked(explanation, field="explanation", label=_("Penjelasan"), multiline=True)
    code = str(account or "").strip()
    row = next(
        (r for r in move_in_reconciliation(move_in=mi)["rows"] if r["account"] == code), None
    )
    if row is None:
        raise _adjust_error(
            _("Akun '%(c)s' bukan akun kontrol di rekonsiliasi.") % {"c": code or "-"}, "account"
        )
    difference = Decimal(row["difference"])
    if difference == 0:
        raise _adjust_error(
            _("Akun %(c)s sudah sama dengan buku pembantunya; tidak ada yang disesuaikan.")
            % {"c": code},
            "account",
        )
    if amount in (None, ""):
        size = abs(difference)
    else:
        try:
            size = parse_rupiah(amount, field=_("Jumlah"))
        except Exception as exc:  # RupiahError: a ValidationError with the message
            raise _adjust_error(" ".join(getattr(exc, "messages", [str(exc)])), "amount") from None
        if size <= 0:
            raise _adjust_error(_("Jumlah penyesuaian harus lebih dari nol."), "amount")
        if size > abs(difference):
            raise _adjust_error(
                _("Jumlah %(a)s melebihi selisih akun %(c)s (%(d)s).")
                % {"a": format_rupiah(size), "c": code, "d": format_rupiah(abs(difference))},
                "amount",
            )
    signed = size if difference > 0 else -size
    acc = Account.objects.get(code=code)
    clearing = account_for_role("opening_balance")
    savings_accounts = set(SavingsProduct.objects.values_list("account_id", flat=True))
    target = clearing if acc.pk in savings_accounts else acc
    offset_code = str(offset_account or "").strip()
    offset = Account.objects.filter(code=offset_code).first() if offset_code else clearing
    if offset is None:
        raise _adjust_error(
            _("Akun lawan '%(c)s' tidak ada.") % {"c": offset_code}, "offset_account"
        )
    if offset.is_group or not offset.is_active or offset.is_control:
        raise _adjust_error(
            _("Akun lawan %(c)s harus akun rincian yang aktif dan bukan akun kontrol.")
            % {"c": offset.code},
            "offset_account",
        )
    if offset.pk == target.pk:
        raise _adjust_error(
            _("Saldo awal simpanan ada di akun %(c)s; pilih akun lawan lain untuk penyesuaiannya.")
            % {"c": clearing.code},
            "offset_account",
        )
    if document is not None:
        upload_check(document, field="document", code=E.ADJUSTMENT_INVALID)
    # the books move by ``signed`` in the reconciliation's sign of the account
    delta = int(row["sign"]) * signed  # debit − credit on the target
    memo = _("Penyesuaian rekonsiliasi %(c)s: %(x)s") % {"c": code, "x": explanation[:150]}
    n = MoveInAdjustment.objects.filter(move_in=mi).count() + 1
    entry = journal_post(
        on=mi.cutover_date,
        description=_("Penyesuaian saldo awal pindah ke Lumbung: %(c)s %(m)s")
        % {"c": acc.code, "m": acc.name},
        lines=[
            LineSpec(account=target, debit=max(delta, ZERO), credit=max(-delta, ZERO), memo=memo),
            LineSpec(account=offset, debit=max(-delta, ZERO), credit=max(delta, ZERO), memo=memo),
        ],
        source=JournalEntry.Source.OPENING,
        source_ref=f"move-in:{mi.pk}:adjustment:{n}",
        by=by,
    )
    adj = MoveInAdjustment(
        move_in=mi,
        account=acc,
        offset_account=offset,
        amount=signed,
        explanation=explanation,
        entry=entry,
        created_by=by,
    )
    if document is not None:
        adj.document = document
    adj.save()
    audit_log(
        actor=by,
        action=OnboardingAudit.ADJUSTMENT,
        target=mi,
        reason=explanation,
        data={
            "account": acc.code,
            "offset_account": offset.code,
            "amount": str(signed),
            "entry": entry.pk,
            "document": bool(document),
        },
    )
    return adj


# --------------------------------------------------------------------------- go live / undo


def move_in_pending_requests(
    *, move_in: MoveIn, to_close: list[Period] | None = None
) -> ApplicationError | None:
    """Why ``move_in`` may not go live while manual entry requests wait for approval: its
    go-live closes every open month up to the cut-over (``to_close``, read here when not
    given), and a request dated up to the last of them would be left unpostable; one
    dated in the books closed already is named as only to be rejected. None when none
    waits (or no month is to be closed). One of ``move_in_go_live_refusals``."""
    if to_close is None:
        to_close = list(
            Period.objects.filter(
                end_date__lte=move_in.cutover_date, status=Period.Status.OPEN
            ).order_by("start_date")
        )
    # a manual entry request dated up to the last of them, waiting for approval, would
    # be left unpostable: refused here, in the move-in's words (the month close would
    # refuse too, naming a month the user never asked to close)
    return (
        manual_requests_refusal(
            up_to=to_close[-1].end_date,
            code=E.MANUAL_PENDING,
            approvable=_(
                "Pindah ke Lumbung belum dapat diselesaikan: menyelesaikannya menutup semua "
                "periode sampai %(d)s, sedangkan permintaan jurnal manual bertanggal sampai "
                "tanggal itu masih menunggu persetujuan (%(r)s). Sesudah periode ditutup, "
                "permintaan itu tidak dapat diposting lagi. Setujui atau tolak dulu di Jurnal "
                "umum, lalu selesaikan pindah ke Lumbung."
            ),
            reject_only=_(
                "Pindah ke Lumbung belum dapat diselesaikan: permintaan jurnal manual %(r)s "
                "masih menunggu persetujuan, tetapi bertanggal dalam buku yang sudah ditutup "
                "(sampai %(c)s), jadi tidak dapat disetujui lagi. Tolak dulu di Jurnal umum, "
                "lalu selesaikan pindah ke Lumbung."
            ),
            params={},
        )
        if to_close
        else None
    )


@dataclass(frozen=True)
class GoLiveRefusal:
    """A reason the move-in may not go live yet: the go-live's refusal (``error``,
    raised as it is), what to do when its message does not say it (``todo``), and the
    page where it is done (``url``, a path; ``link`` its text), both "" when none."""

    error: ApplicationError
    todo: str = ""
    url: str = ""
    link: str = ""


def _months_to_close(mi: MoveIn) -> list[Period]:
    """The open months the go-live closes: every one ending on or before the cut-over."""
    return list(
        Period.objects.filter(end_date__lte=mi.cutover_date, status=Period.Status.OPEN).order_by(
            "start_date"
        )
    )


def _wizard_at(anchor: str) -> str:
    return f"{reverse('onboarding:wizard')}#{anchor}"


def move_in_go_live_refusals(
    *, move_in: MoveIn, to_close: list[Period] | None = None
) -> list[GoLiveRefusal]:
    """Every reason ``move_in`` may not go live now, in the order the go-live refuses
    them (it raises the first): the one list the wizard's go-live step shows before its
    button (none while any), the API's readiness answers and the go-live asks. Empty
    when it may go live.

    A move-in no longer a draft: only that. Otherwise, each that applies: the opening
    trial balance not posted; a member import dated off the cut-over; the sub-ledgers not
    equal to their control accounts (``move_in_reconciliation``); manual entry requests
    waiting (``move_in_pending_requests``: it covers the month close's own check of
    them); and whatever the month close (``period_close``) would refuse for a month the
    go-live closes (``to_close``, read here when not given): a month not ended, a
    registered close guard (the loans' year-end arrears run) — not the move-in's own
    guard, which the go-live passes by going live before it closes them. Reads only."""
    closed = _status_refusal(move_in)
    if closed is not None:
        return [GoLiveRefusal(closed)]
    out: list[GoLiveRefusal] = []
    if not move_in.opening_entry_id:
        out.append(
            GoLiveRefusal(
                ApplicationError(
                    E.WRONG_STATE, _("Neraca saldo awal belum diposting."), status=409
                ),
                todo=_(
                    "Unggah atau ketik neraca saldo awal di langkah 2, periksa pratinjaunya, "
                    "lalu posting."
                ),
                url=_wizard_at("neraca-awal"),
                link=_("Buka langkah 2: Neraca saldo awal"),
            )
        )
    other_date = move_in_member_imports_off_cutover(move_in=move_in)
    if other_date:
        # savings brought in on another day than the trial balance: the books before
        # the cut-over would hold them, or the cut-over would miss them
        out.append(
            GoLiveRefusal(
                ApplicationError(
                    E.NOT_RECONCILED,
                    _(
                        "Impor anggota dengan tanggal saldo awal selain tanggal pindah %(d)s: "
                        "%(l)s. Saldo simpanan harus dibawa masuk per tanggal pindah; "
                        "batalkan pindah ke Lumbung lalu impor lagi dengan tanggal saldo "
                        "awal %(d)s."
                    )
                    % {
                        "d": format_tanggal(move_in.cutover_date),
                        "l": ", ".join(
                            f"{b.file_name} ({format_tanggal(b.opening_date)})" for b in other_date
                        ),
                    },
                    fields={
                        "member_imports": [
                            {
                                "id": b.pk,
                                "file_name": b.file_name,
                                "opening_date": b.opening_date.isoformat(),
                            }
                            for b in other_date
                        ]
                    },
                    status=409,
                ),
                url=_wizard_at("batal-pindah"),
                link=_("Buka pembatalan pindah ke Lumbung"),
            )
        )
    rec = move_in_reconciliation(move_in=move_in)
    differences = [r for r in rec["rows"] if r["difference"] != "0"]
    if differences:
        out.append(
            GoLiveRefusal(
                ApplicationError(
                    E.NOT_RECONCILED,
                    _("Buku pembantu belum sama dengan akun kontrolnya; lihat selisih per akun."),
                    fields={"differences": differences},
                    status=409,
                ),
                todo=_(
                    "Lengkapi yang belum dibawa masuk (anggota dan simpanan di langkah 3, "
                    "pinjaman berjalan di langkah 4), atau, bila selisihnya memang benar, "
                    "posting penyesuaian yang didokumentasikan di langkah 5."
                ),
                url=_wizard_at("rekonsiliasi"),
                link=_("Buka langkah 5: Rekonsiliasi"),
            )
        )
    if to_close is None:
        to_close = _months_to_close(move_in)
    pending = move_in_pending_requests(move_in=move_in, to_close=to_close)
    if pending is not None:
        out.append(
            GoLiveRefusal(pending, url=reverse("ledger:journal"), link=_("Buka Jurnal umum"))
        )
    seen: set[tuple[str, str]] = set()
    for period in to_close:
        refusals = [GoLiveRefusal(e) for e in [period_not_ended(period)] if e is not None] + [
            GoLiveRefusal(
                b.error,
                url=reverse(b.fix_url_name) if b.fix_url_name else "",
                link=str(b.fix_label),
            )
            for b in close_blocks(period.end_date)
            if b.error.code != E.CLOSE_MOVE_IN_UNFINISHED
        ]
        for r in refusals:
            key = (r.error.code, str(r.error.message))
            if key not in seen:
                seen.add(key)
                out.append(r)
    return out


@transaction.atomic
def move_in_go_live(*, move_in: MoveIn, by) -> MoveIn:
    """Final: refused, nothing changed, with the first of ``move_in_go_live_refusals``
    (the trial balance not posted, a member import off the cut-over, the reconciliation
    not agreeing, requests waiting, a month it closes that may not be closed); then
    every open month ending on or before the cut-over is closed, so the opening can no
    longer change by backdating."""
    require_role(by, _("menyelesaikan pindah ke Lumbung"))
    close_lock()  # it closes months: the lock before the move-in's row, as a close takes it
    mi = _draft(move_in)
    to_close = _months_to_close(mi)
    refusals = move_in_go_live_refusals(move_in=mi, to_close=to_close)
    if refusals:
        raise refusals[0].error
    # live before its months are closed: the close guard refuses a draft's cut-over
    mi.status = MoveIn.Status.LIVE
    mi.save(update_fields=["status", "updated_at"])
    closed = []
    for period in to_close:
        period_close(period=period, by=by)
        closed.append(period.pk)
    mi.status = MoveIn.Status.LIVE
    mi.went_live_at = timezone.now()
    mi.members_step = MoveIn.Step.DONE
    mi.closed_periods = closed
    mi.save(
        update_fields=["status", "went_live_at", "members_step", "closed_periods", "updated_at"]
    )
    audit_log(actor=by, action=OnboardingAudit.GO_LIVE, target=mi, data={"closed_periods": closed})
    return mi


def real_postings_after(mi: MoveIn) -> int:
    """Entries that are not the move-in's own (opening entries, and the reversals of
    opening entries an earlier move-in's undo posted) dated on or after the cut-over:
    once there is one, the move-in can no longer be undone."""
    return (
        JournalEntry.objects.filter(date__gte=mi.cutover_date)
        .exclude(source=JournalEntry.Source.OPENING)
        .exclude(reverses__source=JournalEntry.Source.OPENING)
        .count()
    )


def undo_blocking_postings(mi: MoveIn) -> int:
    """The entries that keep the move-in from being undone: ``real_postings_after``, for
    a move-in that posted something (its reversals would be dated the cut-over, under
    the later entries). A draft that brought nothing in (no opening entry, no loans, no
    member import since it started) has nothing to reverse: none block it, so a move-in
    started by mistake on books already running is undone and its cut-over's months
    close again."""
    brought_in = (
        mi.opening_entry_id
        or MoveInLoan.objects.filter(move_in=mi).exists()
        or MemberImport.objects.filter(
            status=MemberImport.Status.IMPORTED, imported_at__gte=mi.created_at
        ).exists()
    )
    return real_postings_after(mi) if brought_in else 0


def _member_imports_undo(mi: MoveIn, *, reason: str, by) -> int:
    """Remove what the member imports of the move-in (step 3: imported after the move-in
    started, with the cut-over as opening date or, by mistake, another date before it
    went live) brought in: their opening entries reversed (on the cut-over, or on their
    own date if later), the opening savings transactions, the savings accounts and the
    members deleted. Refused when one of those members has anything else (a savings
    movement, a loan not brought in by the move-in, a payroll line...). Returns the
    members removed."""
    during = (
        Q(opening_date=mi.cutover_date) | Q(imported_at__lte=mi.went_live_at)
        if mi.went_live_at
        else Q()  # still a draft: every import since it started
    )
    imports = list(
        MemberImport.objects.select_for_update()
        .filter(during, status=MemberImport.Status.IMPORTED, imported_at__gte=mi.created_at)
        .order_by("pk")
    )
    if not imports:
        return 0
    entry_ids = [b.journal_entry_id for b in imports if b.journal_entry_id]
    nips = {_stored_nip(r.get("nip")) for b in imports for r in (b.rows or [])} - {""}
    # the members the imports wrote; a former member's old record with the same NIP
    # (they joined again through the import) has left, and stays
    member_ids = set(
        Member.objects.filter(nip__in=nips, exit_date__isnull=True).values_list("pk", flat=True)
    ) | set(
        SavingsTransaction.objects.filter(journal_entry_id__in=entry_ids).values_list(
            "account__member_id", flat=True
        )
    )
    accounts = SavingsAccount.objects.filter(member_id__in=member_ids)
    moved_since = (
        SavingsTransaction.objects.filter(account__in=accounts)
        .exclude(kind=SavingsTransaction.Kind.OPENING, journal_entry_id__in=entry_ids)
        .count()
    )
    if moved_since:
        raise ApplicationError(
            E.UNDO_REFUSED,
            _(
                "Pindah ke Lumbung tidak dapat dibatalkan: simpanan anggota hasil impor sudah "
                "punya %(n)s transaksi lain."
            )
            % {"n": moved_since},
            status=409,
        )
    for entry in JournalEntry.objects.filter(pk__in=entry_ids).order_by("pk"):
        journal_reverse(
            entry=entry,
            on=max(entry.date, mi.cutover_date),  # never before the entry it reverses
            reason=_("Pembatalan pindah ke Lumbung (impor anggota): %(r)s") % {"r": reason},
            by=by,
            module=JournalEntry.Source.OPENING,
        )
    with connection.cursor() as cur:  # see savings migration 0010: this transaction only
        cur.execute("SET LOCAL lumbung.move_in_undo = 'on'")
        SavingsTransaction.objects.filter(account__in=accounts).delete()
        cur.execute("SET LOCAL lumbung.move_in_undo = 'off'")
    accounts.delete()
    # a former member the import brought in again: the heirs copied to the new
    # membership go with it, and the portal login goes back to the old record
    member_rejoin_revert(
        member_ids=member_ids,
        reason=_("Pembatalan pindah ke Lumbung: %(r)s") % {"r": reason},
        by=by,
    )
    _delete_or_refuse(
        Member.objects.filter(pk__in=member_ids),
        _(
            "Pindah ke Lumbung tidak dapat dibatalkan: anggota hasil impor sudah dipakai "
            "di data lain (%(m)s)."
        ),
    )
    # the batches no longer read "Sudah diimpor": their members are gone
    MemberImport.objects.filter(pk__in=[b.pk for b in imports]).update(
        status=MemberImport.Status.UNDONE, undone_at=timezone.now()
    )
    return len(member_ids)


def _stored_nip(value) -> str:
    """A NIP of an import's stored row as the import stored it on the member (``19750101
    200001 1 001`` → ``197501012000011001``), or "" when it is none."""
    try:
        return nip_cell(value)
    except ValidationError:
        return ""


def _delete_or_refuse(qs, message: str) -> None:
    """Delete the rows the move-in brought in, or refuse the undo naming the kinds of
    record that now point at them (``message`` holds ``%(m)s``)."""
    try:
        qs.delete()
    except ProtectedError as exc:
        kinds = sorted({str(o._meta.verbose_name) for o in exc.protected_objects})
        raise ApplicationError(
            E.UNDO_REFUSED, message % {"m": ", ".join(kinds)}, status=409
        ) from None


def _undo_closed_after_cutover_check(mi: MoveIn) -> None:
    """Refuse the undo of a move-in whose opening is posted when a month ending on or
    after its cut-over is closed and its go-live did not close it (a month after the
    cut-over closed since, a year closed): the opening's reversals are dated the
    cut-over, which the undo cannot post into closed books. Names the date the books are
    closed until and what to do, before anything is changed."""
    closed = (
        Period.objects.filter(status=Period.Status.CLOSED, end_date__gte=mi.cutover_date)
        .exclude(pk__in=mi.closed_periods or [])
        .order_by("-end_date")
        .values_list("end_date", flat=True)
        .first()
    )
    if closed is None:
        return
    raise ApplicationError(
        E.UNDO_REFUSED,
        _(
            "Pindah ke Lumbung tidak dapat dibatalkan: buku sudah ditutup sampai %(c)s, "
            "sesudah tanggal pindah %(d)s, dan saldo awal hanya dapat dibalik per tanggal "
            "pindah. Tidak ada yang dibatalkan. Minta admin membuka kembali bulan sesudah "
            "tanggal pindah sampai %(c)s, lalu batalkan lagi."
        )
        % {"c": format_tanggal(closed), "d": format_tanggal(mi.cutover_date)},
        status=409,
    )


@transaction.atomic
def move_in_undo(*, move_in: MoveIn, reason: str, by) -> MoveIn:
    """Remove everything the move-in made: the loans it brought in (with their schedules),
    the members, savings accounts and opening balances of its member import (their entry
    reversed), the reconciliation adjustments and the opening entry (reversed, same
    date); the months its go-live closed are reopened. Refused once anything else was
    posted on or after the cut-over, and when a month ending on or after the cut-over
    was closed other than by its go-live (its reversals are dated the cut-over).

    Takes the close lock, as the go-live and the closes do (the lock before the
    move-in's row): a month or year close running at the same moment either committed
    before (its months are seen closed here: refused) or waits for this commit and
    closes over the undone move-in, never both. Before it, the move-in's kept previews
    (removed with it), in the order their confirm takes them (the preview, then the
    close lock of 4a/4b, then the move-in's row): a confirm arriving meanwhile waits
    and finds its preview gone, instead of each waiting for the other
    (``tests/onboarding/test_close_lock_steps_race.py``)."""
    require_role(by, _("membatalkan pindah ke Lumbung"))
    reason = reason_required(
        reason, code=E.UNDO_REFUSED, message=_("Alasan pembatalan wajib diisi.")
    )
    list(UploadPreview.objects.select_for_update().filter(move_in_id=move_in.pk).order_by("pk"))
    close_lock()
    mi = MoveIn.objects.select_for_update().get(pk=move_in.pk)
    if mi.status == MoveIn.Status.UNDONE:
        raise ApplicationError(E.WRONG_STATE, _("Proses pindah ini sudah dibatalkan."), status=409)
    n = undo_blocking_postings(mi)
    if n:
        raise ApplicationError(
            E.UNDO_REFUSED,
            _(
                "Pindah ke Lumbung tidak dapat dibatalkan: sudah ada %(n)s jurnal lain sejak "
                "tanggal pindah."
            )
            % {"n": n},
            status=409,
        )
    if mi.opening_entry_id:
        _undo_closed_after_cutover_check(mi)
    loan_ids = list(MoveInLoan.objects.filter(move_in=mi).values_list("loan_id", flat=True))
    if Loan.objects.filter(pk__in=loan_ids, repayments__isnull=False).exists():
        raise ApplicationError(
            E.UNDO_REFUSED,
            _(
                "Pindah ke Lumbung tidak dapat dibatalkan: pinjaman yang dibawa sudah menerima pembayaran."
            ),
            status=409,
        )
    MoveInLoan.objects.filter(move_in=mi).delete()
    Instalment.objects.filter(loan_id__in=loan_ids).delete()
    # the month-end arrears run keeps each running loan's grade even when it posts
    # nothing: derived from the loans, so they go with them
    LoanGradeSnapshot.objects.filter(loan_id__in=loan_ids).delete()
    _delete_or_refuse(
        Loan.objects.filter(pk__in=loan_ids),
        _(
            "Pindah ke Lumbung tidak dapat dibatalkan: pinjaman yang dibawa sudah dipakai "
            "di data lain (%(m)s)."
        ),
    )
    for period in Period.objects.filter(pk__in=mi.closed_periods).order_by("-start_date"):
        if period.status == Period.Status.CLOSED:
            period_reopen(period=period, reason=reason, by=by)
    # not ledger figures: the move-in's jasa and capital month-ends of the old books
    # (before its members go)
    shu_contributions_remove(mi)
    capital_rows = capital_balances_remove(mi)
    upload_previews_remove(mi)  # files previewed and not saved
    members = _member_imports_undo(mi, reason=reason, by=by)
    if mi.opening_entry_id:
        for adj in MoveInAdjustment.objects.filter(move_in=mi).select_related("entry"):
            journal_reverse(
                entry=adj.entry,
                on=mi.cutover_date,
                reason=_("Pembatalan pindah ke Lumbung: %(r)s") % {"r": reason},
                by=by,
                module=JournalEntry.Source.OPENING,
            )
        journal_reverse(
            entry=mi.opening_entry,
            on=mi.cutover_date,
            reason=_("Pembatalan pindah ke Lumbung: %(r)s") % {"r": reason},
            by=by,
            module=JournalEntry.Source.OPENING,
        )
    mi.status = MoveIn.Status.UNDONE
    mi.undone_at = timezone.now()
    mi.save(update_fields=["status", "undone_at", "updated_at"])
    audit_log(
        actor=by,
        action=OnboardingAudit.UNDO,
        target=mi,
        reason=reason,
        data={"loans": len(loan_ids), "members": members, "capital_month_ends": capital_rows},
    )
    return mi
