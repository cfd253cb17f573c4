"""Running loans brought in at the cut-over: one row per loan, checked row by row, then
all created at once (nothing on any error).

A row gives the loan's original terms (principal, disbursement date, tenor, rate and
method, or the product's), the number of instalments already paid, the arrears at the
cut-over (unpaid jasa and principal of instalments due on or before it) and the
outstanding principal. The original schedule is rebuilt with ``schedules.build_schedule``
(the loans module's own maths): the first ``paid`` instalments are settled; of the
instalments due by the cut-over and not in ``paid``, what the arrears say is still
unpaid stays open (oldest first), the rest is taken as paid; later instalments are
open. The outstanding must then be exactly the schedule's unpaid principal — a row
whose rate, method or tenor cannot produce it is refused, saying the schedule's figure.

Each loan is created disbursed with no disbursement entry of its own: its receivable
(and PPAP, and arrears jasa) is in the opening trial balance, so the loan points at the
move-in's opening entry. Days past due, grade and PPAP are set as of the cut-over with the
cooperative's loan settings. The loans' instalments are the normal current schedule,
so the next payroll run asks the arrears and the instalment falling due.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.dates import format_tanggal
from core.common.errors import ApplicationError
from core.common.money import format_percent, format_rupiah, parse_percent, parse_rupiah
from core.common.spreadsheet import CellProblem, Percent, cell_date, cell_plain_text, nip_cell
from core.ledger.models import Account, AccountRole
from core.loans import schedules as S
from core.loans.models import Instalment, Loan, LoanProduct, LoanSettings
from core.members.models import Member
from core.members.validators import parse_nip
from core.onboarding.audit import OnboardingAudit
from core.users.models import User

from .common import (
    E,
    raise_row_errors,
    require_role,
    row_date1904,
    row_error,
    row_number,
)
from .models import MoveIn, MoveInLoan
from .selectors import trial_balance_amounts
from .services import _draft, _status_open, cutover_open_check

ZERO = Decimal("0")
METHODS = {
    "flat": "flat",
    "tetap": "flat",
    "annuity": "annuity",
    "anuitas": "annuity",
    "declining": "declining",
    "efektif": "declining",
    "menurun": "declining",
}
PERIODS = {"month": "month", "bulan": "month", "year": "year", "tahun": "year"}
IMPORT_USERNAME = "pindahan-lumbung"
MAX_TENOR = 360  # thirty years: anything longer is a typo
# an old system's loan number is kept as the loan's number, which holds this many characters
NUMBER_MAX = Loan._meta.get_field("number").max_length


@dataclass
class LoanRow:
    row: int
    member: Member
    product: LoanProduct
    number: str
    principal: Decimal
    disbursed_on: date
    first_due: date
    tenor: int
    method: str
    rate: Decimal
    rate_period: str
    outstanding: Decimal
    paid: int
    arrears_jasa: Decimal
    arrears_principal: Decimal
    dpd: int
    grade: str = ""
    ppap: Decimal = ZERO
    rows: list[dict] = field(default_factory=list)


def _text(v) -> str:
    return " ".join(str(v if v is not None else "").split())


def _int(v, *, label: str) -> int:
    s = _text(v)
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if not (s.isascii() and s.isdigit()):  # "²" is a digit to isdigit, not to int
        raise ValidationError(_("%(f)s harus bilangan bulat: %(v)s") % {"f": label, "v": s or "-"})
    return int(s)


def _nip(v) -> str:
    """A NIP cell (spaces as on the SK allowed; digits lost to Excel refused), checked as
    a NIP."""
    nip = nip_cell(v)
    parse_nip(nip)
    return nip


def _rate(v) -> Decimal:
    """Jasa in percent, 0 to 100: ``1``, ``1,5``, ``1%``, or a percent-formatted cell
    (Excel keeps a typed ``1%`` as 0.01)."""
    return parse_percent(v.percent if isinstance(v, Percent) else v, field=_("Jasa"))


def _plan(lr: LoanRow, cutover: date) -> str:
    """Fill ``lr.rows`` (the schedule with what is paid) and the grade; return an error
    message, or "" when the schedule gives the row's outstanding and arrears."""
    sched = S.build_schedule(
        method=lr.method,
        principal=lr.principal,
        rate=S.monthly_rate(lr.rate, lr.rate_period),
        tenor=lr.tenor,
        first_due=lr.first_due,
        day=S.due_day(lr.disbursed_on, lr.first_due),  # as a loan paid out here
    )
    if lr.paid > lr.tenor:
        return _("Angsuran dibayar %(k)s lebih dari tenor %(n)s.") % {"k": lr.paid, "n": lr.tenor}
    rows = [
        {
            "number": r.number,
            "due_date": r.due_date,
            "principal": r.principal,
            "jasa": r.jasa,
            "principal_paid": r.principal if r.number <= lr.paid else ZERO,
            "jasa_paid": r.jasa if r.number <= lr.paid else ZERO,
        }
        for r in sched.rows
    ]
    overdue = [r for r in rows if r["number"] > lr.paid and r["due_date"] <= cutover]
    due_p = sum((r["principal"] for r in overdue), ZERO)
    due_j = sum((r["jasa"] for r in overdue), ZERO)
    if lr.arrears_principal > due_p:
        return _(
            "Tunggakan pokok %(a)s lebih dari pokok angsuran yang jatuh tempo sampai tanggal "
            "pindah dan belum dibayar menurut jadwal (%(s)s)."
        ) % {"a": format_rupiah(lr.arrears_principal), "s": format_rupiah(due_p)}
    if lr.arrears_jasa > due_j:
        return _(
            "Tunggakan jasa %(a)s lebih dari jasa angsuran yang jatuh tempo sampai tanggal "
            "pindah dan belum dibayar menurut jadwal (%(s)s)."
        ) % {"a": format_rupiah(lr.arrears_jasa), "s": format_rupiah(due_j)}
    # what of the overdue rows was paid: everything but the arrears, oldest rows first
    paid_p, paid_j = due_p - lr.arrears_principal, due_j - lr.arrears_jasa
    for r in overdue:
        take = min(paid_p, r["principal"])
        r["principal_paid"], paid_p = take, paid_p - take
        take = min(paid_j, r["jasa"])
        r["jasa_paid"], paid_j = take, paid_j - take
    expected = sum((r["principal"] - r["principal_paid"] for r in rows), ZERO)
    if expected != lr.outstanding:
        return _(
            "Sisa pokok %(o)s tidak dapat dihasilkan jadwal ini (%(m)s, jasa %(r)s%% per "
            "%(p)s, tenor %(n)s, %(k)s angsuran dibayar, tunggakan pokok %(a)s): menurut "
            "jadwal sisa pokoknya %(e)s. Periksa metode, jasa, tenor atau jumlah angsuran."
        ) % {
            "o": format_rupiah(lr.outstanding),
            "m": lr.method,
            "r": format_percent(lr.rate),
            "p": _("bulan") if lr.rate_period == "month" else _("tahun"),
            "n": lr.tenor,
            "k": lr.paid,
            "a": format_rupiah(lr.arrears_principal),
            "e": format_rupiah(expected),
        }
    open_dates = [
        r["due_date"]
        for r in rows
        if r["principal_paid"] < r["principal"] or r["jasa_paid"] < r["jasa"]
    ]
    dpd = S.days_past_due(open_dates, cutover)
    if lr.dpd >= 0 and lr.dpd != dpd:
        return _(
            "Hari tunggakan %(g)s tidak sesuai jadwal: angsuran tertua yang belum lunas "
            "membuat %(d)s hari pada tanggal pindah."
        ) % {"g": lr.dpd, "d": dpd}
    lr.dpd = dpd
    lr.rows = rows
    return ""


def _left_member(member: Member, by_nip: dict[str, Member]) -> str:
    """A row's member has left: a running loan is not brought in on a closed record (it
    would be a member marked as left owing a loan, which no exit settlement reaches).
    Names the current membership when the person joined again."""
    msg = _(
        "Anggota %(m)s sudah keluar (%(s)s, %(d)s): pinjaman berjalan tidak dibawa masuk "
        "untuk anggota yang sudah keluar."
    ) % {"m": member, "s": member.get_status_display(), "d": format_tanggal(member.exit_date)}
    current = by_nip.get(member.nip)
    if current is not None and current.is_active:
        return (
            msg
            + " "
            + _("Orang ini terdaftar lagi sebagai anggota No. %(no)s: tulis nomor itu.")
            % {"no": current.number}
        )
    return (
        msg
        + " "
        + _(
            "Bila pinjamannya memang belum lunas, daftarkan dia sebagai anggota aktif (impor "
            "anggota), bawa masuk pinjamannya, lalu selesaikan keluarnya di halaman anggota → "
            "Keluar / pensiun / meninggal."
        )
    )


def loans_rows_check(
    *, move_in: MoveIn, rows: list[dict[str, Any]]
) -> tuple[list[LoanRow], list[dict]]:
    """Check every row (keys: member_number or nip, product_code, loan_number, principal,
    disbursed_on, first_due_date, tenor, rate, rate_period, method, outstanding,
    instalments_paid, arrears_jasa, arrears_principal, days_past_due). Returns the
    checked rows and the errors, each naming its row and field."""
    cutover = move_in.cutover_date
    members = {m.number: m for m in Member.objects.all()}
    # one active member per NIP (a database constraint); a former member who joined
    # again also has old records with it: the active membership is the one meant
    by_nip = {
        m.nip: m
        for m in sorted(members.values(), key=lambda m: (m.status == Member.Status.ACTIVE, m.pk))
    }
    products = {p.code.upper(): p for p in LoanProduct.objects.all()}
    existing_numbers = set(Loan.objects.values_list("number", flat=True))
    existing_keys = set(
        Loan.objects.filter(status=Loan.Status.DISBURSED).values_list(
            "member__number", "product__code", "principal", "disbursed_on"
        )
    )
    st = LoanSettings.objects.get_or_create(id=1)[0]
    out: list[LoanRow] = []
    errors: list[dict] = []
    seen_numbers: dict[str, int] = {}
    seen_keys: dict[tuple, int] = {}
    for i, raw in enumerate(rows, start=1):
        errs: list[dict] = []
        n = row_number(raw.get("row"), i, errs)

        def get(key, parse, label, *, required=True, default=None, _raw=raw, _errs=errs, _n=n):
            v = _raw.get(key)
            if isinstance(v, CellProblem):  # a cell Excel could not compute (#N/A...)
                _errs.append(row_error(_n, key, v.message))
                return default
            if v is None or _text(v) == "":
                if required:
                    _errs.append(row_error(_n, key, _("%(f)s wajib diisi.") % {"f": label}))
                return default
            try:
                return parse(v)
            except ValidationError as exc:
                _errs.append(row_error(_n, key, " ".join(exc.messages)))
                return default

        def money(label):
            return lambda v: parse_rupiah(v, field=label, allow_dash_zero=True)

        unreadable = len(errs)
        number_m = get("member_number", _text, "", required=False, default="")
        nip = get("nip", _nip, "", required=False, default="")
        member = members.get(number_m) if number_m else None
        if len(errs) > unreadable:  # a cell not read (#N/A, a NIP that lost digits): said
            pass
        elif number_m and member is None:
            errs.append(
                row_error(
                    n,
                    "member_number",
                    _("Anggota %(m)s tidak ada di daftar anggota.") % {"m": number_m},
                )
            )
        elif member is not None and nip and member.nip != nip:
            other = by_nip.get(nip)
            errs.append(
                row_error(
                    n,
                    "nip",
                    _("NIP %(nip)s milik anggota %(o)s, bukan anggota %(m)s.")
                    % {"nip": nip, "o": other.number, "m": member.number}
                    if other is not None
                    else _("NIP %(nip)s bukan NIP anggota %(m)s.")
                    % {"nip": nip, "m": member.number},
                )
            )
        elif not number_m and nip:
            member = by_nip.get(nip)
            if member is None:
                errs.append(
                    row_error(
                        n,
                        "nip",
                        _("Anggota dengan NIP %(nip)s tidak ada di daftar anggota.") % {"nip": nip},
                    )
                )
        elif not number_m and not nip:
            errs.append(
                row_error(
                    n,
                    "member_number",
                    _("Nomor anggota (atau NIP bila nomornya kosong) wajib diisi."),
                )
            )
        if member is not None and not member.is_active and not errs:
            errs.append(
                row_error(n, "member_number" if number_m else "nip", _left_member(member, by_nip))
            )
        code = get("product_code", _text, _("Kode produk"))
        product = products.get(code.upper()) if code else None
        if code and product is None:
            errs.append(
                row_error(n, "product_code", _("Produk pinjaman %(p)s tidak ada.") % {"p": code})
            )
        loan_number = get(
            "loan_number",
            partial(cell_plain_text, label=_("Nomor pinjaman")),
            _("Nomor pinjaman"),
            required=False,
            default="",
        )
        principal = get("principal", money(_("Pokok awal")), _("Pokok awal"))
        date1904 = row_date1904(raw)
        disbursed_on = get(
            "disbursed_on",
            partial(cell_date, label=_("Tanggal cair"), date1904=date1904),
            _("Tanggal cair"),
        )
        first_due = get(
            "first_due_date",
            partial(cell_date, label=_("Jatuh tempo pertama"), date1904=date1904),
            _("Jatuh tempo pertama"),
            required=False,
        )
        tenor = get("tenor", lambda v: _int(v, label=_("Tenor")), _("Tenor"))
        rate = get("rate", _rate, _("Jasa"), required=False)
        rate_period = get("rate_period", lambda v: _text(v).lower(), "", required=False, default="")
        method = get("method", lambda v: _text(v).lower(), "", required=False, default="")
        outstanding = get("outstanding", money(_("Sisa pokok")), _("Sisa pokok"))
        paid = get(
            "instalments_paid",
            lambda v: _int(v, label=_("Angsuran dibayar")),
            _("Angsuran dibayar"),
        )
        a_jasa = get("arrears_jasa", money(_("Tunggakan jasa")), "", required=False, default=ZERO)
        a_princ = get(
            "arrears_principal", money(_("Tunggakan pokok")), "", required=False, default=ZERO
        )
        dpd = get(
            "days_past_due",
            lambda v: _int(v, label=_("Hari tunggakan")),
            "",
            required=False,
            default=-1,
        )
        if method and method not in METHODS:
            errs.append(
                row_error(
                    n,
                    "method",
                    _("Metode %(m)s tidak dikenal (flat, anuitas, efektif).") % {"m": method},
                )
            )
        if rate_period and rate_period not in PERIODS:
            errs.append(
                row_error(
                    n,
                    "rate_period",
                    _("Periode jasa %(p)s tidak dikenal (bulan, tahun).") % {"p": rate_period},
                )
            )
        if tenor is not None and not 1 <= tenor <= MAX_TENOR:
            errs.append(
                row_error(n, "tenor", _("Tenor harus 1 sampai %(m)s bulan.") % {"m": MAX_TENOR})
            )
        if principal is not None and principal <= 0:
            errs.append(row_error(n, "principal", _("Pokok awal harus lebih dari nol.")))
        if disbursed_on and disbursed_on > cutover:
            errs.append(
                row_error(
                    n,
                    "disbursed_on",
                    _("Tanggal cair %(d)s sesudah tanggal pindah %(c)s.")
                    % {"d": format_tanggal(disbursed_on), "c": format_tanggal(cutover)},
                )
            )
        if disbursed_on and first_due and first_due <= disbursed_on:
            errs.append(
                row_error(n, "first_due_date", _("Jatuh tempo pertama harus sesudah tanggal cair."))
            )
        if principal is not None and outstanding is not None:
            if outstanding > principal:
                errs.append(
                    row_error(
                        n,
                        "outstanding",
                        _("Sisa pokok %(o)s lebih besar dari pokok awal %(p)s.")
                        % {"o": format_rupiah(outstanding), "p": format_rupiah(principal)},
                    )
                )
            elif outstanding <= 0:
                errs.append(
                    row_error(
                        n, "outstanding", _("Sisa pokok nol: pinjaman lunas tidak perlu dibawa.")
                    )
                )
        if loan_number:
            if len(loan_number) > NUMBER_MAX:
                errs.append(
                    row_error(
                        n,
                        "loan_number",
                        _(
                            "Nomor pinjaman %(l)s terlalu panjang: paling banyak %(max)s "
                            "karakter (ini %(len)s). Persingkat, atau kosongkan agar Lumbung "
                            "memberi nomor."
                        )
                        % {"l": loan_number, "max": NUMBER_MAX, "len": len(loan_number)},
                    )
                )
            elif loan_number in existing_numbers:
                errs.append(
                    row_error(
                        n,
                        "loan_number",
                        _("Pinjaman %(l)s sudah ada di Lumbung.") % {"l": loan_number},
                    )
                )
            elif loan_number in seen_numbers:
                errs.append(
                    row_error(
                        n,
                        "loan_number",
                        _("Nomor pinjaman %(l)s sudah ada di baris %(r)s.")
                        % {"l": loan_number, "r": seen_numbers[loan_number]},
                    )
                )
            else:
                seen_numbers[loan_number] = n
        if member and product and principal is not None and disbursed_on:
            key = (member.number, product.code, principal, disbursed_on)
            if key in existing_keys:
                errs.append(
                    row_error(
                        n,
                        "member_number",
                        _(
                            "Pinjaman yang sama (anggota, produk, pokok, tanggal cair) sudah ada di Lumbung."
                        ),
                    )
                )
            elif key in seen_keys:
                errs.append(
                    row_error(
                        n,
                        "member_number",
                        _(
                            "Pinjaman yang sama (anggota, produk, pokok, tanggal cair) sudah ada di baris %(r)s."
                        )
                        % {"r": seen_keys[key]},
                    )
                )
            else:
                seen_keys[key] = n
        if errs:
            errors += errs
            continue
        lr = LoanRow(
            row=n,
            member=member,
            product=product,
            number=loan_number,
            principal=principal,
            disbursed_on=disbursed_on,
            first_due=first_due or S.add_months(disbursed_on, 1),
            tenor=tenor,
            method=METHODS[method] if method else product.method,
            rate=rate if rate is not None else product.rate,
            rate_period=PERIODS[rate_period] if rate_period else product.rate_period,
            outstanding=outstanding,
            paid=paid,
            arrears_jasa=a_jasa,
            arrears_principal=a_princ,
            dpd=dpd,
        )
        msg = _plan(lr, cutover)
        if msg:
            errors.append(row_error(n, "outstanding", msg))
            continue
        lr.grade = S.kolektibilitas(lr.dpd, st.thresholds).value
        lr.ppap = S.ppap_amount(lr.outstanding, lr.grade, st.ppap_rates)
        out.append(lr)
    return out, errors


def _import_user() -> User:
    """The applicant of loans brought in (the application was made in the old books):
    an inactive user without a password, so the maker-checker rule holds."""
    user, created = User.objects.get_or_create(
        username=IMPORT_USERNAME,
        defaults={"full_name": "Pindahan (buku lama)", "is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


OWN_NUMBER = re.compile(r"PJ-\d{4}-(\d{1,9})")  # the pattern loan_apply numbers loans with


def _next_numbers(count: int, on: date, *, kept: list[str]) -> list[str]:
    """``count`` new loan numbers of Lumbung's pattern; the sequence also moves past every
    number ``kept`` from the file in that pattern, so neither these nor a loan applied
    for later is given a number a brought-in loan already has."""
    st = LoanSettings.objects.select_for_update().get_or_create(id=1)[0]
    after = max((int(m.group(1)) for n in kept if (m := OWN_NUMBER.fullmatch(n))), default=0)
    first = max(st.next_loan_seq, after + 1)
    LoanSettings.objects.filter(id=1).update(next_loan_seq=first + count)
    return [f"PJ-{on:%Y}-{first + i:06d}" for i in range(count)]


def loans_check_open(mi: MoveIn) -> None:
    """Refuse when the move-in is no longer a draft or its trial balance (which brings
    the loans' receivable) is not posted yet."""
    _status_open(mi)
    if not mi.opening_entry_id:
        raise ApplicationError(
            E.WRONG_STATE,
            _("Posting dulu neraca saldo awal: piutang pinjaman dibawa oleh jurnal saldo awal."),
            status=409,
        )
    cutover_open_check(mi)


def _checked(mi: MoveIn, rows: list[dict[str, Any]]) -> list[LoanRow]:
    checked, errors = loans_rows_check(move_in=mi, rows=rows)
    raise_row_errors(errors, _("Data pinjaman berisi kesalahan; tidak ada yang disimpan."))
    if not checked:
        raise ApplicationError(E.ROWS_INVALID, _("Tidak ada baris pinjaman."))
    return checked


# the control accounts the loans brought in stand against in the reconciliation: role,
# what, the loan figure, the sign of the account's balance (debit − credit)
_CONTROLS = (
    ("loan_receivable", "outstanding", 1),
    ("ppap_allowance", "ppap", -1),
    ("loan_interest_receivable", "arrears_jasa", 1),
)


def _control_balances(mi: MoveIn, totals: dict[str, Decimal]) -> list[dict]:
    """Per control account: the opening trial balance's figure and the loans' once these
    are brought in (with those the move-in already has), as the reconciliation will
    compare them."""
    tb = trial_balance_amounts(mi)
    before = MoveInLoan.objects.filter(move_in=mi).aggregate(
        outstanding=Sum("outstanding"), ppap=Sum("ppap"), arrears_jasa=Sum("arrears_jasa")
    )
    roles = dict(AccountRole.objects.values_list("key", "account_id"))
    accounts = Account.objects.in_bulk([roles[r] for r, _f, _s in _CONTROLS if r in roles])
    out = []
    for role, figure, sign in _CONTROLS:
        acc = accounts.get(roles.get(role))
        if acc is None:
            continue
        loans = (before[figure] or ZERO) + totals[figure]
        in_tb = sign * tb.get(acc.code, ZERO) + ZERO
        out.append(
            {
                "account": acc.code,
                "name": acc.name,
                "trial_balance": in_tb,
                "loans": loans,
                "difference": loans - in_tb,
            }
        )
    return out


def loans_preview(*, move_in: MoveIn, rows: list[dict[str, Any]], by) -> dict:
    """What ``loans_import`` would bring in for ``rows``, checked the same way (every row
    error at once), nothing written: per loan the member, product, number (empty: Lumbung
    numbers it), principal, outstanding, arrears, days past due, grade and PPAP as of the
    cut-over; the totals; and per control account the trial balance's figure against the
    loans', as the reconciliation will compare them."""
    require_role(by, _("membawa pinjaman berjalan"))
    mi = MoveIn.objects.get(pk=move_in.pk)
    loans_check_open(mi)
    checked = _checked(mi, rows)
    grades = dict(Loan._meta.get_field("kolektibilitas").choices)
    lines = [
        {
            "row": lr.row,
            "member_number": lr.member.number,
            "name": lr.member.full_name,
            "product": lr.product.code,
            "number": lr.number,
            "principal": lr.principal,
            "method": lr.method,
            "tenor": lr.tenor,
            "outstanding": lr.outstanding,
            "arrears_principal": lr.arrears_principal,
            "arrears_jasa": lr.arrears_jasa,
            "days_past_due": lr.dpd,
            "grade": lr.grade,
            "grade_label": str(grades.get(lr.grade, lr.grade)),
            "ppap": lr.ppap,
        }
        for lr in checked
    ]
    totals = {
        f: sum((x[f] for x in lines), ZERO)
        for f in ("principal", "outstanding", "arrears_principal", "arrears_jasa", "ppap")
    }
    return {
        "cutover": mi.cutover_date,
        "loans": len(lines),
        "in_arrears": sum(1 for x in lines if x["days_past_due"] > 0),
        **totals,
        "lines": lines,
        "controls": _control_balances(mi, totals),
    }


@transaction.atomic
def loans_import(*, move_in: MoveIn, rows: list[dict[str, Any]], by) -> list[Loan]:
    """Bring the running loans in: all rows or none."""
    require_role(by, _("membawa pinjaman berjalan"))
    mi = _draft(move_in)  # no close lock needed: see ``services._draft``
    loans_check_open(mi)
    checked = _checked(mi, rows)
    applicant = _import_user()
    now = timezone.now()
    numbers = iter(
        _next_numbers(
            sum(1 for lr in checked if not lr.number),
            mi.cutover_date,
            kept=[lr.number for lr in checked if lr.number],
        )
    )
    loans = Loan.objects.bulk_create(
        [
            Loan(
                number=lr.number or next(numbers),
                member=lr.member,
                product=lr.product,
                status=Loan.Status.DISBURSED,
                principal=lr.principal,
                tenor=lr.tenor,
                method=lr.method,
                rate=lr.rate,
                rate_period=lr.rate_period,
                purpose=_("Pinjaman berjalan dari buku lama"),
                applied_on=lr.disbursed_on,
                applied_by=applicant,
                verified_at=now,
                verified_by=by,
                verified_on=lr.disbursed_on,
                approved_at=now,
                approved_by=by,
                approved_on=lr.disbursed_on,
                disbursed_on=lr.disbursed_on,
                disbursed_by=by,
                disbursement_entry_id=mi.opening_entry_id,
                net_disbursed=lr.principal,
                first_due_date=lr.first_due,
                principal_outstanding=lr.outstanding,
                days_past_due=lr.dpd,
                kolektibilitas=lr.grade,
                ppap_amount=lr.ppap,
                # on 1105 by the opening entry; repayments settle it before income
                jasa_receivable=lr.arrears_jasa,
            )
            for lr in checked
        ]
    )
    Instalment.objects.bulk_create(
        [
            Instalment(
                loan=loan,
                version=1,
                number=r["number"],
                due_date=r["due_date"],
                principal=r["principal"],
                jasa=r["jasa"],
                principal_paid=r["principal_paid"],
                jasa_paid=r["jasa_paid"],
                settled=r["principal_paid"] == r["principal"] and r["jasa_paid"] == r["jasa"],
                settled_on=(
                    min(r["due_date"], mi.cutover_date)
                    if r["principal_paid"] == r["principal"] and r["jasa_paid"] == r["jasa"]
                    else None
                ),
            )
            for loan, lr in zip(loans, checked, strict=True)
            for r in lr.rows
        ],
        batch_size=5000,
    )
    MoveInLoan.objects.bulk_create(
        [
            MoveInLoan(
                move_in=mi,
                loan=loan,
                row=lr.row,
                arrears_jasa=lr.arrears_jasa,
                arrears_principal=lr.arrears_principal,
                outstanding=lr.outstanding,
                ppap=lr.ppap,
            )
            for loan, lr in zip(loans, checked, strict=True)
        ]
    )
    mi.loans_step = MoveIn.Step.DONE
    mi.save(update_fields=["loans_step", "updated_at"])
    audit_log(
        actor=by,
        action=OnboardingAudit.LOANS,
        target=mi,
        data={
            "loans": len(loans),
            "outstanding": str(sum((lr.outstanding for lr in checked), ZERO)),
            "ppap": str(sum((lr.ppap for lr in checked), ZERO)),
        },
    )
    return loans
