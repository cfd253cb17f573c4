"""Writes for the year end: SHU settings, the close (income tax, the ledger's year close,
the SHU after tax moved to *SHU belum dibagi*), its reopening, the posting of the RAT's
split and the payouts to members. Each a single transaction with an audit row."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.dates import format_tanggal
from core.common.errors import ApplicationError, reason_required, text_checked
from core.common.money import RupiahError, format_percent, format_rupiah, parse_rupiah
from core.common.permissions import SETTINGS_ADMINS, TREASURY, R
from core.ledger.close_guards import close_lock, close_refusal
from core.ledger.models import FiscalYear, JournalEntry, JournalLine, Period, ReceiptSeries
from core.ledger.selectors import account_for_role
from core.ledger.services import (
    LineSpec,
    fiscal_year_close,
    journal_entry_id_reserve,
    journal_post,
    journal_reverse,
    manual_requests_refusal,
    period_reopen,
    receipt_number_take,
)
from core.loans.services.common import LoanErrors
from core.members.models import Member
from core.members.selectors import heir_parts
from core.savings.batch import Deposit, savings_deposits_apply_bulk
from core.savings.models import SavingsAccount, SavingsTransaction
from core.savings.services import interest_run_through
from core.yearend.audit import YearEndAudit

from . import allocation as alloc
from .errors import YearEndErrors as E
from .models import MemberShare, RatReport, ShuPayout, ShuSettings, YearEnd
from .rat import rat_report_for
from .selectors import (
    close_checklist,
    close_entries,
    closed_in_ledger,
    closed_year_end,
    entries_posted_since_close,
    leavers_sukarela_left_open,
    reopened_in_ledger,
    shu_preview,
    shu_settings_for,
    shu_settings_snapshot,
    sukarela_accounts_for_payout,
    year_check,
    year_result,
)

ZERO = Decimal("0")
FUND_ROLES = {
    "cadangan": "reserve",
    "pengurus": "fund_pengurus",
    "pendidikan": "fund_pendidikan",
    "karyawan": "fund_karyawan",
    "pembangunan": "fund_pembangunan",
    "sosial": "fund_sosial",
}


def _require(by, roles, what: str) -> None:
    if getattr(by, "role", None) not in roles:
        raise ApplicationError(
            E.NOT_ALLOWED,
            _("Anda tidak berwenang %(w)s.") % {"w": what},
            status=403,
        )


def _user(by):
    return by if getattr(by, "is_authenticated", False) else None


# ---------------------------------------------------------------------------- settings

SETTINGS_FIELDS = (
    *ShuSettings.PCT_FIELDS,
    "capital_includes_sukarela",
    "capital_basis",
    "rounding_unit",
    "leavers",
    "payout_method",
    "tax_rule",
    "tax_rate",
)


def _decimal(value: Any, field: str, errors: dict) -> Decimal | None:
    try:
        d = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        errors[field] = [_("Bukan angka.")]
        return None
    if not d.is_finite():
        errors[field] = [_("Bukan angka.")]
        return None
    return d


@transaction.atomic
def shu_settings_set(*, year: int, by, **values: Any) -> ShuSettings:
    """Set the SHU settings effective from ``year`` (kept per year: earlier years keep
    theirs). Unknown fields, percentages not summing to exactly 100, negative or badly
    formed values: a specific error, nothing written. A year whose SHU was posted keeps
    its settings."""
    _require(by, TREASURY, _("mengubah pengaturan SHU"))
    unknown = sorted(set(values) - set(SETTINGS_FIELDS))
    if unknown:
        raise ApplicationError(
            E.INVALID,
            _("Kolom tidak dikenal: %(f)s") % {"f": ", ".join(unknown)},
            fields={f: [_("Tidak dikenal.")] for f in unknown},
        )
    if YearEnd.objects.filter(year__gte=year).exclude(status=YearEnd.Status.REOPENED).exists():
        raise ApplicationError(
            E.SETTINGS_LOCKED,
            _(
                "Tahun buku %(y)s (atau sesudahnya) sudah ditutup; pengaturan SHU-nya tidak dapat diubah."
            )
            % {"y": year},
        )
    base = shu_settings_for(year=year)
    row = ShuSettings.objects.select_for_update().filter(effective_year=year).first()
    if row is None:
        row = ShuSettings(effective_year=year)
        for f in SETTINGS_FIELDS:
            setattr(row, f, getattr(base, f))
    errors: dict[str, list] = {}
    for f, v in values.items():
        if f in ShuSettings.PCT_FIELDS or f == "tax_rate":
            d = _decimal(v, f, errors)
            if d is None:
                continue
            if d < 0 or d > 100:
                errors[f] = [_("Harus antara 0 dan 100.")]
            elif d != d.quantize(Decimal("0.01")):
                errors[f] = [_("Paling banyak dua angka desimal.")]
            setattr(row, f, d)
        elif f == "rounding_unit":
            # typed as people type rupiah: ``1.000``, ``Rp 1.000`` (the parser refuses
            # sen, ``true`` and text that is not a number)
            try:
                n = int(parse_rupiah(v, field=_("Pembulatan (rupiah)")))
            except RupiahError as exc:
                errors[f] = [exc.messages[0]]
                continue
            if n not in (1, 10, 100, 1000):
                errors[f] = [_("Pilih 1, 10, 100 atau 1000.")]
            row.rounding_unit = n
        elif f == "capital_includes_sukarela":
            if isinstance(v, str):
                v = v.strip().lower() in ("1", "true", "on", "ya", "yes")
            row.capital_includes_sukarela = bool(v)
        else:
            choices = {
                "capital_basis": ShuSettings.CapitalBasis,
                "leavers": ShuSettings.Leavers,
                "payout_method": ShuSettings.Payout,
                "tax_rule": ShuSettings.TaxRule,
            }[f]
            if v not in choices.values:
                errors[f] = [_("Pilihan tidak dikenal.")]
            setattr(row, f, v)
    if errors:
        raise ApplicationError(E.INVALID, _("Pengaturan SHU tidak valid."), fields=errors)
    total = sum((getattr(row, f) for f in ShuSettings.PCT_FIELDS), ZERO)
    if total != 100:
        raise ApplicationError(
            E.PERCENTAGES,
            _("Persentase pembagian SHU harus berjumlah tepat 100%% (sekarang %(t)s%%).")
            % {"t": format_percent(total)},
            fields={f: [_("Jumlah harus 100%.")] for f in ShuSettings.PCT_FIELDS},
        )
    if row.tax_rule != ShuSettings.TaxRule.NONE and row.tax_rate <= 0:
        raise ApplicationError(
            E.INVALID,
            _("Tarif pajak wajib diisi untuk aturan pajak yang dipilih."),
            fields={"tax_rate": [_("Wajib lebih dari 0.")]},
        )
    row.updated_by = _user(by)
    row.save()
    audit_log(
        actor=by, action=YearEndAudit.SETTINGS_SET, target=row, data=shu_settings_snapshot(row)
    )
    return row


# ------------------------------------------------------------------------------- close


@transaction.atomic
def yearend_close(*, year: int, by) -> YearEnd:
    """Close ``year``: every checklist item must pass. The income tax (per the settings)
    is posted on 31 December, the ledger's year close rolls income and expense into SHU
    tahun berjalan, and the SHU after tax moves to *SHU belum dibagi*. The year is locked."""
    _require(by, TREASURY, _("menutup tahun buku"))
    # before the guard reads, and before the year's row as the ledger's year close does
    # (which it calls): one lock order, no deadlock with a month close or a move-in start
    close_lock()
    fy = FiscalYear.objects.select_for_update().filter(year=year).first()
    if fy is None:
        raise ApplicationError(
            E.NO_YEAR, _("Tahun buku %(y)s tidak ada.") % {"y": year}, status=404
        )
    if fy.status == FiscalYear.Status.CLOSED:
        # closed by the ledger alone (existing data): said so, with the way out
        raise closed_in_ledger(year=year) or ApplicationError(
            E.ALREADY_CLOSED, _("Tahun buku %(y)s sudah ditutup.") % {"y": year}
        )
    reopened = reopened_in_ledger(year=year)
    if reopened is not None:  # closed here, reopened in the ledger: its tax is still posted
        raise reopened
    if fy.end_date > timezone.localdate():
        raise ApplicationError(E.INVALID, _("Tahun buku %(y)s belum berakhir.") % {"y": year})
    # before the checklist: an unfinished move-in is why its months cannot be closed. The
    # loans' guard (no arrears run dated 31 December) is one of the checklist's items: an
    # incomplete checklist answers with all its items, that one among them
    refusal = close_refusal(fy.end_date)
    failed = [i for i in close_checklist(year=year) if not i.ok]
    if refusal is not None and not (failed and refusal.code == LoanErrors.ARREARS_RUN_MISSING):
        raise refusal
    if failed:
        raise ApplicationError(
            E.CHECKLIST,
            _("Tahun buku belum dapat ditutup: %(i)s")
            % {"i": "; ".join(str(i.label) for i in failed)},
            fields={i.key: [str(i.detail)] for i in failed},
        )
    s = shu_settings_for(year=year)
    result = year_result(year=year)
    tax = alloc.income_tax(
        rule=s.tax_rule,
        rate=s.tax_rate,
        shu_before_tax=result.shu_before_tax,
        turnover=result.turnover,
    )
    ye = YearEnd.objects.select_for_update().filter(year=year).first() or YearEnd(year=year)
    n = JournalEntry.objects.filter(source=JournalEntry.Source.SHU, fiscal_year=year).count()
    made: dict[str, Any] = {"tax": None, "transfer": None, "net": ZERO}

    def post_tax(fy_: FiscalYear) -> None:
        if tax > 0:
            made["tax"] = journal_post(
                on=fy_.end_date,
                description=_("Pajak penghasilan koperasi tahun %(y)s") % {"y": year},
                lines=[
                    LineSpec(account_for_role("income_tax_expense"), debit=tax),
                    LineSpec(account_for_role("tax_payable"), credit=tax),
                ],
                source=JournalEntry.Source.SHU,
                source_ref=f"yearend:{year}:tax:{n + 1}",
                by=by,
                year_close=True,
            )

    def move_shu(fy_: FiscalYear, closing: JournalEntry | None) -> None:
        current, undistributed = (
            account_for_role("shu_current_year"),
            account_for_role("shu_undistributed"),
        )
        # What the closing entry put into SHU tahun berjalan: the SHU after tax.
        net = ZERO
        if closing is not None:
            for ln in closing.lines.filter(account=current):
                net += ln.credit - ln.debit
        made["net"] = net
        if net == 0:
            return
        if net > 0:
            lines = [LineSpec(current, debit=net), LineSpec(undistributed, credit=net)]
        else:
            lines = [LineSpec(undistributed, debit=-net), LineSpec(current, credit=-net)]
        made["transfer"] = journal_post(
            on=fy_.end_date,
            description=_("SHU tahun %(y)s setelah pajak ke SHU belum dibagi") % {"y": year},
            lines=lines,
            source=JournalEntry.Source.SHU,
            source_ref=f"yearend:{year}:transfer:{n + 1}",
            by=by,
            year_close=True,
        )

    fiscal_year_close(
        fiscal_year=fy, by=by, before_close=post_tax, after_close=move_shu, by_year_end=True
    )
    ye.status = YearEnd.Status.CLOSED
    ye.shu_after_tax = made["net"]
    ye.shu_before_tax = made["net"] + tax
    ye.turnover = result.turnover
    ye.income_tax = tax
    ye.settings_snapshot = shu_settings_snapshot(s)
    ye.tax_entry = made["tax"]
    ye.transfer_entry = made["transfer"]
    ye.closed_at = timezone.now()
    ye.closed_by = _user(by)
    ye.reopen_reason = ""
    ye.save()
    audit_log(
        actor=by,
        action=YearEndAudit.CLOSE,
        target=ye,
        data={
            "shu_before_tax": str(ye.shu_before_tax),
            "income_tax": str(tax),
            "shu_after_tax": str(ye.shu_after_tax),
        },
    )
    return ye


def _closing_amounts(entry: JournalEntry | None) -> dict[int, Decimal]:
    """A closing entry's debit − credit per account (nonzero only)."""
    out: dict[int, Decimal] = {}
    if entry is not None:
        for ln in entry.lines.all():
            out[ln.account_id] = out.get(ln.account_id, ZERO) + ln.debit - ln.credit
    return {k: v for k, v in out.items() if v}


def reclose_pending_requests(*, year: int) -> ApplicationError | None:
    """Why ``year`` may not be closed again (``yearend_reclose``) while manual entry
    requests dated up to its 31 December wait for approval, as the close's checklist:
    once the year is closed a request dated in it can never be approved (its month is
    closed), so it is decided first; one dated in the books closed already is named as
    only to be rejected. The year page asks it before offering the re-close button.
    None when none waits."""
    return manual_requests_refusal(
        up_to=date(year, 12, 31),
        code=E.MANUAL_PENDING,
        approvable=_(
            "Tahun buku %(y)s tidak dapat ditutup ulang: permintaan jurnal manual "
            "bertanggal sampai %(d)s masih menunggu persetujuan (%(r)s). Sesudah tahun "
            "buku ditutup, permintaan itu tidak dapat diposting lagi. Setujui atau tolak "
            "dulu di Jurnal umum, lalu tutup ulang."
        ),
        reject_only=_(
            "Tahun buku %(y)s tidak dapat ditutup ulang: permintaan jurnal manual %(r)s "
            "masih menunggu persetujuan, tetapi bertanggal dalam buku yang sudah ditutup "
            "(sampai %(c)s), jadi tidak dapat disetujui lagi. Tolak dulu di Jurnal umum, "
            "lalu tutup ulang."
        ),
        params={"y": year},
    )


@transaction.atomic
def yearend_reclose(*, year: int, by) -> YearEnd:
    """The way out for a year closed here whose ledger year was reopened in the ledger
    (``selectors.reopened_in_ledger``): the ledger's year is closed again as the year
    end closed it — income and expense rolled into SHU tahun berjalan by a new closing
    entry (the one the ledger's reopen reversed, to the rupiah), every month closed, the
    year marked ``closed_by_year_end`` — and nothing of the year end is posted again:
    its income tax and its move to SHU belum dibagi stay as they are. A ledger year set
    open in the database alone (its closing entry never reversed) is closed with that
    closing entry again: it still rolls the year into SHU tahun berjalan, so nothing is
    posted and the year end's reopen reverses it later. Refused while a manual entry
    request dated up to 31 December is pending (as the close's checklist); when the
    ledger never had the year's closing entry though income or expense stand (the
    ``YearEnd`` set closed in the database); when the tax or SHU move was reversed, or an
    entry dated in the year was posted since the close (its figures would no longer
    hold): the year end is then reopened properly (admin) and closed again. Bendahara or
    admin, as the close."""
    _require(by, TREASURY, _("menutup tahun buku"))
    close_lock()  # as the close: before the guard reads and before the year's row
    fy = FiscalYear.objects.select_for_update().filter(year=year).first()
    ye = YearEnd.objects.select_for_update().filter(year=year).first()
    if (
        fy is None
        or fy.status != FiscalYear.Status.OPEN
        or ye is None
        or ye.status == YearEnd.Status.REOPENED
    ):
        raise ApplicationError(
            E.NOT_REOPENED_IN_LEDGER,
            _(
                "Tahun buku %(y)s tidak sedang dibuka kembali di buku besar sesudah tutup "
                "buku; tidak ada yang perlu ditutup ulang."
            )
            % {"y": year},
            status=409,
        )
    pending = reclose_pending_requests(year=year)
    if pending is not None:
        raise pending
    made = close_entries(ye)
    if made.closing is None:
        result = year_result(year=year)
        if result.shu_before_tax or result.turnover:
            # the YearEnd says closed, yet the ledger never had a closing entry for the
            # year (the status set in the database alone): there is no close to restore
            raise ApplicationError(
                E.CLOSE_MISSING,
                _(
                    "Tahun buku %(y)s tidak dapat ditutup ulang: tutup buku tercatat "
                    "selesai, tetapi buku besar tidak pernah punya jurnal penutup tahun itu "
                    "(statusnya diubah langsung di basis data), jadi tidak ada tutup buku "
                    "yang dapat dipulihkan. Tutup buku harus diulang: admin membuka kembali "
                    "tutup buku di sini, lalu tahun buku ditutup lagi."
                )
                % {"y": year},
                status=409,
            )
    reversed_ = [e for e in made.own if e.reversals.exists()]
    if reversed_:
        raise ApplicationError(
            E.ENTRIES_REVERSED,
            _(
                "Jurnal tutup buku tahun %(y)s sudah dibalik (%(e)s), jadi tahun buku tidak "
                "dapat ditutup ulang seperti saat tutup buku. Tutup buku harus diulang: admin "
                "membuka kembali tutup buku di sini, lalu tahun buku ditutup lagi."
            )
            % {"y": year, "e": ", ".join(str(e) for e in reversed_)},
            fields={"entries": [str(e) for e in reversed_]},
            status=409,
        )
    since = entries_posted_since_close(ye)
    if since:
        raise ApplicationError(
            E.POSTED_SINCE_CLOSE,
            _(
                "Tahun buku %(y)s tidak dapat ditutup ulang: sesudah tutup buku ada jurnal "
                "baru bertanggal tahun itu (%(e)s), jadi SHU dan pajak penghasilan tutup "
                "bukunya tidak berlaku lagi. Tutup buku harus diulang: admin membuka kembali "
                "tutup buku di sini (pajak penghasilan dan SHU belum dibagi dibalik), lalu "
                "tahun buku ditutup lagi."
            )
            % {"y": year, "e": ", ".join(str(e) for e in since)},
            fields={"entries": [str(e) for e in since]},
            status=409,
        )
    original = made.closing if made.closing and made.closing.reversals.exists() else None
    # the ledger year opened in the database alone: the close's closing entry was never
    # reversed and still rolls the year into SHU tahun berjalan (nothing is left to close)
    standing = made.closing if made.closing is not None and original is None else None
    fy = fiscal_year_close(fiscal_year=fy, by=by, by_year_end=True)
    if standing is not None and fy.closing_entry is None:
        # the year's closing entry again, so that the year end's reopen reverses it
        FiscalYear.objects.filter(pk=fy.pk).update(closing_entry=standing)
        fy.closing_entry = standing
    elif _closing_amounts(fy.closing_entry) != _closing_amounts(original):
        # nothing posted since, so it cannot differ; if it does, nothing is kept
        raise ApplicationError(
            E.POSTED_SINCE_CLOSE,
            _(
                "Tahun buku %(y)s tidak dapat ditutup ulang: jurnal penutupnya tidak sama "
                "dengan saat tutup buku. Tutup buku harus diulang: admin membuka kembali "
                "tutup buku di sini, lalu tahun buku ditutup lagi."
            )
            % {"y": year},
            fields={"entries": []},
            status=409,
        )
    audit_log(
        actor=by,
        action=YearEndAudit.RECLOSE,
        target=ye,
        data={
            "year": year,
            "tax_entry": str(ye.tax_entry) if ye.tax_entry else None,
            "transfer_entry": str(ye.transfer_entry) if ye.transfer_entry else None,
            "closing_entry": str(fy.closing_entry) if fy.closing_entry else None,
            "reversed_closing_entry": str(original) if original else None,
            "closing_entry_kept": bool(standing),
        },
    )
    return ye


@transaction.atomic
def yearend_reopen(*, year: int, reason: str, by) -> YearEnd:
    """Admin only, with a reason: reverse a close whose SHU is not posted yet (the
    ledger's closing entry, the move to SHU belum dibagi and the income tax)."""
    _require(by, SETTINGS_ADMINS, _("membuka kembali tahun buku (khusus admin)"))
    reason = reason_required(
        reason, code=E.REASON_REQUIRED, message=_("Alasan membuka kembali tahun buku wajib diisi.")
    )
    ye = YearEnd.objects.select_for_update().filter(year=year).first()
    if ye is None or ye.status == YearEnd.Status.REOPENED:
        raise ApplicationError(E.NOT_CLOSED, _("Tahun buku %(y)s belum ditutup.") % {"y": year})
    if ye.status == YearEnd.Status.POSTED:
        raise ApplicationError(
            E.ALREADY_POSTED,
            _("SHU tahun %(y)s sudah dibagi dan diposting; tahun buku tidak dapat dibuka kembali.")
            % {"y": year},
        )
    december = Period.objects.get(fiscal_year__year=year, month=12)
    if december.status == Period.Status.CLOSED:
        # open already when the ledger's year was reopened in the ledger (existing data,
        # ``selectors.reopened_in_ledger``): its closing entry is reversed already
        period_reopen(period=december, reason=reason, by=by, by_year_end=True)
    for entry in (ye.transfer_entry, ye.tax_entry):
        if entry is not None:
            # the year end's own reversal of its SHU entries (books integrity: module-owned)
            journal_reverse(
                entry=entry,
                on=date(year, 12, 31),
                reason=reason,
                by=by,
                module=JournalEntry.Source.SHU,
                year_close=True,
            )
    ye.status = YearEnd.Status.REOPENED
    ye.reopen_reason = reason
    ye.tax_entry = None
    ye.transfer_entry = None
    ye.save(update_fields=["status", "reopen_reason", "tax_entry", "transfer_entry"])
    audit_log(actor=by, action=YearEndAudit.REOPEN, target=ye, reason=reason)
    return ye


# ----------------------------------------------------------------------------- posting


@transaction.atomic
def shu_post(*, year: int, rat_date: date, rat_decision: str, by) -> YearEnd:
    """After the RAT approved the split: one entry from SHU belum dibagi to cadangan,
    each fund and SHU bagian anggota (one line per member, so the member's unpaid share
    is their balance there), dated the RAT. The shares are kept per member. Once only."""
    _require(by, TREASURY, _("memposting pembagian SHU"))
    ye = closed_year_end(year=year)
    ye = YearEnd.objects.select_for_update().get(pk=ye.pk)
    if ye.status == YearEnd.Status.POSTED:
        raise ApplicationError(
            E.ALREADY_POSTED,
            _("SHU tahun %(y)s sudah diposting (%(e)s).") % {"y": year, "e": ye.posting_entry},
            status=409,
        )
    rat_decision = (rat_decision or "").strip()
    errors = {}
    if not isinstance(rat_date, date):
        errors["rat_date"] = [_("Tanggal RAT wajib diisi.")]
    elif rat_date <= date(year, 12, 31):
        errors["rat_date"] = [_("RAT diadakan sesudah tahun buku berakhir.")]
    elif rat_date > timezone.localdate():
        errors["rat_date"] = [_("Tanggal tidak boleh di masa depan.")]
    else:
        held = RatReport.objects.filter(year=year).values_list("held_on", flat=True).first()
        if held is not None and held != rat_date:
            errors["rat_date"] = [
                _("RAT tahun buku ini tercatat diadakan %(d)s; posting dengan tanggal itu.")
                % {"d": format_tanggal(held)}
            ]
    if not rat_decision:
        errors["rat_decision"] = [_("Nomor keputusan RAT wajib diisi.")]
    if errors:
        raise ApplicationError(E.RAT_INVALID, _("Data RAT tidak lengkap."), fields=errors)
    preview = shu_preview(year=year)
    allocation = preview.allocation
    # A members' pool nobody has a claim on is in cadangan there (and 0 on its own line).
    funds = preview.funds
    members_total = sum((r.total for r in allocation.shares), ZERO)
    lines = [LineSpec(account_for_role("shu_undistributed"), debit=ye.shu_after_tax)]
    for fund, role in FUND_ROLES.items():
        if funds[fund] > 0:
            lines.append(LineSpec(account_for_role(role), credit=funds[fund], memo=fund))
    payable = account_for_role("shu_members_payable")
    for r in allocation.shares:
        if r.total > 0:
            lines.append(
                LineSpec(payable, credit=r.total, member_id=r.member_id, memo=f"SHU {year}")
            )
    entry = journal_post(
        on=rat_date,
        description=_("Pembagian SHU tahun %(y)s sesuai keputusan RAT %(d)s")
        % {"y": year, "d": rat_decision},
        lines=lines,
        source=JournalEntry.Source.SHU,
        source_ref=f"yearend:{year}:post",
        by=by,
    )
    MemberShare.objects.bulk_create(
        [
            MemberShare(
                year_end=ye,
                member_id=r.member_id,
                capital=r.capital,
                contribution=r.contribution,
                jma=r.jma,
                jua=r.jua,
                total=r.total,
            )
            for r in allocation.shares
        ],
        batch_size=2000,
    )
    ye.status = YearEnd.Status.POSTED
    ye.rat_date = rat_date
    ye.rat_decision = rat_decision
    ye.funds = {
        **{k: str(v) for k, v in funds.items()},
        **{f"{pool}_to_cadangan": str(v) for pool, v in preview.to_reserve.items()},
        "members_total": str(members_total),
        "total_capital": str(allocation.total_capital),
        "total_contribution": str(allocation.total_contribution),
    }
    ye.posting_entry = entry
    ye.posted_at = timezone.now()
    ye.posted_by = _user(by)
    ye.save()
    audit_log(
        actor=by,
        action=YearEndAudit.SHU_POST,
        target=ye,
        data={"entry": str(entry), "rat_decision": rat_decision, "funds": ye.funds},
    )
    return ye


# ------------------------------------------------------------------------------ payout


def _clean_amount(value: Any) -> Decimal:
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        d = None
    if d is None or not d.is_finite() or d <= 0 or d != d.to_integral_value():
        raise ApplicationError(
            E.PAYOUT_INVALID,
            _("Jumlah pembayaran SHU harus rupiah utuh lebih dari 0."),
            fields={"amount": [_("Rupiah utuh lebih dari 0.")]},
        )
    return d


@dataclass(frozen=True)
class PayoutSetAside:
    """A member of a batch left unpaid, and why (``code``, ``reason`` for people)."""

    share: MemberShare
    amount: Decimal  # what was asked for and not paid
    code: str
    reason: str


@dataclass
class PayoutBatch:
    """What a payout paid, and the members it set aside unpaid."""

    payouts: list[ShuPayout] = field(default_factory=list)
    set_aside: list[PayoutSetAside] = field(default_factory=list)


def _no_sukarela(
    share: MemberShare, amount: Decimal, left_open: SavingsAccount | None = None
) -> PayoutSetAside:
    """A member whose SHU cannot be credited to sukarela, and what to do. ``left_open``:
    the sukarela account a member who left still holds (marked as left outside the exit
    flow, which would have closed it); a member who left takes no credit on it."""
    if share.member.is_active:
        reason = _(
            "Belum punya rekening simpanan sukarela yang aktif: bukakan rekening sukarela "
            "dulu, lalu bayar lagi."
        )
    elif left_open is not None:
        reason = _(
            "Sudah keluar (%(s)s); rekening simpanan sukarela %(n)s masih terbuka, tetapi "
            "SHU anggota yang sudah keluar tidak dikreditkan ke rekeningnya: bayar tunai "
            "atau transfer bank."
        ) % {"s": share.member.get_status_display(), "n": left_open.number}
    else:
        reason = _(
            "Sudah keluar (%(s)s) dan tidak punya rekening simpanan sukarela yang aktif: "
            "bayar tunai atau transfer bank."
        ) % {"s": share.member.get_status_display()}
    return PayoutSetAside(share=share, amount=amount, code=E.NO_SUKARELA, reason=reason)


@transaction.atomic
def shu_payout(
    *,
    year: int,
    items: list[tuple[int, Any]],
    method: str,
    by,
    on: date | None = None,
    received_by: dict[int, str] | None = None,
) -> list[ShuPayout]:
    """Pay posted shares: ``items`` = ``[(member_id, amount or None for the whole unpaid
    share), ...]``. ``method`` "cash" (a receipt each, at the counter), "bank" (a
    transfer from the cooperative's bank account, a receipt each) or "sukarela" (a
    credit to the member's simpanan sukarela), as the settings kept at the close allow.
    One journal entry for the batch: SHU bagian anggota debited per member. A share
    already paid, an amount above what is unpaid, a member twice or without a share:
    refused, nothing written.

    Where the settings say sukarela, a member who left is paid in cash or by bank
    transfer: the exit settlement closed their accounts, and one marked as left outside
    it, whose sukarela account is still open, takes no credit on it either. Such a batch
    may hold only members who left; the audit row says so (and names an account left
    open). Credited to
    sukarela, a member without an open sukarela account refuses the batch
    (``shu_payout_selected`` sets such members aside instead); an earlier membership of
    a person who joined again is credited to the sukarela account of their current
    membership.

    Credited to sukarela and dated back into a month whose jasa simpanan was run
    (``on``; the savings module's rule, ``interest_run_through``): refused
    (``shu_payout_interest_run``), nothing written.

    A member who died is paid through the heirs registered; with none registered (they
    can no longer be added once the member has left) the batch names the recipient —
    the heir by the certificate of inheritance, with the relationship —
    in ``received_by`` (``{member_id: text}``), else it is refused (``shu_payout_no_heirs``);
    a name holding a control character, a line break or a tab is refused
    (``validation_error`` on ``received_by``), nothing paid."""
    return _payout(
        year=year,
        items=items,
        method=method,
        by=by,
        on=on,
        set_aside=False,
        received_by=received_by,
    ).payouts


@transaction.atomic
def shu_payout_selected(
    *,
    year: int,
    items: list[tuple[int, Any]],
    method: str,
    by,
    on: date | None = None,
    received_by: dict[int, str] | None = None,
) -> PayoutBatch:
    """Pay a batch as ``shu_payout`` does (the same ``items``, rules and refusals), except
    that, credited to sukarela, a member with no open sukarela account (one who left: the
    exit closed it; an active member who never opened one) is set aside with the reason
    instead of refusing the batch, and the others are paid in one entry. The year page's
    "pay the selected" and the API's payout. Nobody payable: nothing written, the set
    aside returned."""
    return _payout(
        year=year,
        items=items,
        method=method,
        by=by,
        on=on,
        set_aside=True,
        received_by=received_by,
    )


def _payout(
    *,
    year: int,
    items: list[tuple[int, Any]],
    method: str,
    by,
    on: date | None,
    set_aside: bool,
    received_by: dict[int, str] | None = None,
) -> PayoutBatch:
    """``shu_payout`` and ``shu_payout_selected`` (inside their transaction)."""
    _require(by, TREASURY, _("membayar SHU"))
    for name in (received_by or {}).values():
        # a name on one line, as typed (before ``_heirs_paid`` folds its blanks)
        text_checked(name, field="received_by", label=_("Nama penerima"), multiline=False)
    today = timezone.localdate()
    on = on or today
    if on > today:
        # the ledger refuses it too, naming its own field ("date"): name the payout's
        raise ApplicationError(
            E.PAYOUT_INVALID,
            _("Tanggal pembayaran %(d)s di masa depan.") % {"d": format_tanggal(on)},
            fields={"on": [_("Tanggal tidak boleh di masa depan.")]},
        )
    # The year's row locked: one payout batch of a year at a time, so that the batch's
    # reference (numbered from the payouts made before it, below) is taken after the
    # batch before it committed. Two batches at once otherwise got the same number and
    # the second was refused as a duplicate posting.
    ye = YearEnd.objects.select_for_update().filter(year=year, status=YearEnd.Status.POSTED).first()
    if ye is None:
        raise ApplicationError(
            E.NOT_CLOSED, _("SHU tahun %(y)s belum diposting; belum dapat dibayar.") % {"y": year}
        )
    if ye.rat_date is not None and on < ye.rat_date:
        # the shares exist (SHU bagian anggota credited) from the RAT's decision on
        raise ApplicationError(
            E.PAYOUT_INVALID,
            _(
                "Tanggal pembayaran %(d)s sebelum RAT (%(r)s) yang menyetujui pembagian SHU "
                "tahun %(y)s."
            )
            % {"d": format_tanggal(on), "r": format_tanggal(ye.rat_date), "y": year},
            fields={"on": [_("Tidak boleh sebelum tanggal RAT.")]},
        )
    allowed = ye.settings_snapshot.get("payout_method", ShuSettings.Payout.CHOICE)
    paid_out = (ShuPayout.Method.CASH, ShuPayout.Method.BANK)
    # the one exception to the settings: leavers under "sukarela" (checked per member below)
    leavers_paid_out = allowed == ShuSettings.Payout.SUKARELA and method in paid_out
    if method not in ShuPayout.Method.values or not (
        allowed == ShuSettings.Payout.CHOICE or method == allowed or leavers_paid_out
    ):
        raise ApplicationError(
            E.PAYOUT_METHOD,
            _("Cara pembayaran '%(m)s' tidak sesuai pengaturan SHU.") % {"m": method},
            fields={"method": [_("Tidak diizinkan.")]},
        )
    if not items:
        raise ApplicationError(E.PAYOUT_INVALID, _("Tidak ada anggota yang dibayar."))
    ids = [int(mid) for mid, _a in items]
    if len(set(ids)) != len(ids):
        raise ApplicationError(E.PAYOUT_INVALID, _("Seorang anggota tercantum dua kali."))
    shares = {
        s.member_id: s
        for s in MemberShare.objects.select_for_update()
        .filter(year_end=ye, member_id__in=ids)
        .select_related("member")
        .order_by("pk")
    }
    plan: list[tuple[MemberShare, Decimal]] = []
    for mid, amount in items:
        share = shares.get(int(mid))
        if share is None:
            raise ApplicationError(
                E.PAYOUT_INVALID,
                _("Anggota %(m)s tidak mendapat SHU tahun %(y)s.") % {"m": mid, "y": year},
            )
        if share.total == 0:
            # no capital and no jasa paid: nothing to pay, not "already paid"
            raise ApplicationError(
                E.PAYOUT_INVALID,
                _("Anggota %(m)s tidak mendapat SHU tahun %(y)s (Rp 0).")
                % {"m": share.member, "y": year},
            )
        unpaid = share.total - share.paid
        if unpaid <= 0:
            raise ApplicationError(
                E.ALREADY_PAID,
                _("SHU %(y)s anggota %(m)s sudah dibayar.") % {"y": year, "m": share.member},
                status=409,
            )
        amt = unpaid if amount in (None, "") else _clean_amount(amount)
        if amt > unpaid:
            raise ApplicationError(
                E.PAYOUT_EXCEEDS,
                _("Pembayaran %(a)s melebihi SHU %(m)s yang belum dibayar (%(u)s).")
                % {"a": format_rupiah(amt), "m": share.member, "u": format_rupiah(unpaid)},
                fields={"amount": [_("Melebihi sisa SHU.")]},
            )
        plan.append((share, amt))
    # members who left and still hold a sukarela account of their own (marked as left
    # outside the exit flow): it takes no credit, so they are paid as any leaver
    left_open = leavers_sukarela_left_open(member_ids=ids)
    if leavers_paid_out:
        # a member who left is never credited on an account of their own (below), so
        # every leaver may be paid in cash or by transfer, an account left open or not
        not_leavers = [s for s, _a in plan if s.member.is_active]
        if not_leavers:
            raise ApplicationError(
                E.PAYOUT_METHOD,
                _(
                    "SHU dibayar ke simpanan sukarela menurut pengaturan; tunai atau transfer "
                    "bank hanya untuk anggota yang sudah keluar. Masih aktif: %(m)s."
                )
                % {"m": ", ".join(str(s.member) for s in not_leavers)},
                fields={"method": [_("Tidak diizinkan.")]},
            )
    payable = account_for_role("shu_members_payable")
    # What the ledger still owes each member (an exit settlement may have paid it).
    owed = {
        r["member_id"]: (r["c"] or ZERO) - (r["d"] or ZERO)
        for r in JournalLine.objects.filter(account=payable, member_id__in=ids)
        .values("member_id")
        .annotate(d=Sum("debit"), c=Sum("credit"))
    }
    for s, a in plan:
        if a > owed.get(s.member_id, ZERO):
            raise ApplicationError(
                E.ALREADY_PAID,
                _(
                    "SHU anggota %(m)s di buku besar tinggal %(o)s (mungkin sudah "
                    "diselesaikan saat keluar); pembayaran %(a)s ditolak."
                )
                % {
                    "m": s.member,
                    "o": format_rupiah(owed.get(s.member_id, ZERO)),
                    "a": format_rupiah(a),
                },
                status=409,
            )
    # credited to sukarela: the member's own account, or for an earlier membership of a
    # person who joined again, their current membership's
    targets = (
        sukarela_accounts_for_payout(member_ids=ids) if method == ShuPayout.Method.SUKARELA else {}
    )
    no_target = set(ids) - set(targets)
    aside: list[PayoutSetAside] = []
    if set_aside and method == ShuPayout.Method.SUKARELA:
        aside = sorted(
            (
                _no_sukarela(s, a, left_open.get(s.member_id))
                for s, a in plan
                if s.member_id in no_target
            ),
            key=lambda x: x.share.member.number,
        )
        plan = [(s, a) for s, a in plan if s.member_id not in no_target]
        if not plan:
            return PayoutBatch(set_aside=aside)
    if method == ShuPayout.Method.SUKARELA:
        # dated back into a month whose jasa was run (the API's ``on``)
        _check_interest_not_run(
            on, {targets[s.member_id].product_id for s, _a in plan if s.member_id in targets}
        )
    heirs = _heirs_paid(plan, received_by or {})
    total = sum((a for _s, a in plan), ZERO)
    lines = [LineSpec(payable, debit=a, member_id=s.member_id, memo=f"SHU {year}") for s, a in plan]
    receipts: dict[int, str] = {}
    entry_id = None
    if method in paid_out:
        counter = "cash" if method == ShuPayout.Method.CASH else "bank"
        lines.append(LineSpec(account_for_role(counter), credit=total, memo=f"SHU {year}"))
        for s, _a in plan:
            receipts[s.pk] = receipt_number_take(kind=ReceiptSeries.Kind.SHU_PAYOUT, on=on)
    else:
        missing = [s for s, _a in plan if s.member_id in no_target]
        if missing:
            raise ApplicationError(
                E.NO_SUKARELA,
                _("SHU tidak dapat dikreditkan ke simpanan sukarela: %(m)s")
                % {
                    "m": "; ".join(
                        f"{s.member}: {_no_sukarela(s, a, left_open.get(s.member_id)).reason}"
                        for s, a in plan
                        if s.member_id in no_target
                    )
                },
                fields={"member": [str(s.member_id) for s in missing]},
            )
        deposits = []
        for s, a in plan:
            deposits.append(
                Deposit(
                    account=targets[s.member_id],
                    amount=a,
                    channel=SavingsTransaction.Channel.INTERNAL,
                    kind=SavingsTransaction.Kind.TRANSFER_IN,
                    memo=_("SHU tahun %(y)s") % {"y": year},
                )
            )
        # the credits written linked to the entry posted below (one INSERT, no link
        # UPDATE and no check queued for commit: ``savings_txn_entry_required``)
        entry_id = journal_entry_id_reserve()
        applied = savings_deposits_apply_bulk(deposits=deposits, on=on, by=by, entry_id=entry_id)
        for ap in applied:
            lines.extend(ap.lines)
    entry = journal_post(
        on=on,
        description=_("Pembayaran SHU tahun %(y)s (%(n)s anggota, %(m)s)")
        % {"y": year, "n": len(plan), "m": ShuPayout.Method(method).label},
        lines=lines,
        source=JournalEntry.Source.SHU,
        source_ref=f"yearend:{year}:payout:{ShuPayout.objects.filter(share__year_end=ye).count() + 1}",
        by=by,
        entry_id=entry_id,
    )
    payouts = ShuPayout.objects.bulk_create(
        [
            ShuPayout(
                share=s,
                on=on,
                method=method,
                amount=a,
                receipt_number=receipts.get(s.pk, ""),
                entry=entry,
                # a member who died is paid through the heirs, split by their shares as
                # the exit settlement paid them (the receipt names them)
                heirs=heirs.get(s.member_id, []),
                credited_account=targets.get(s.member_id),
                created_by=_user(by),
            )
            for s, a in plan
        ]
    )
    for s, a in plan:
        s.paid += a
    MemberShare.objects.bulk_update([s for s, _a in plan], ["paid"])
    data = {"entry": str(entry), "method": method, "members": len(plan), "total": str(total)}
    if leavers_paid_out:
        data["settings_method"] = allowed
        data["leavers_without_sukarela"] = [s.member_id for s, _a in plan]
        opened = {str(mid): acc.number for mid, acc in left_open.items()}
        if opened:
            # marked as left outside the exit flow: their sukarela account still open
            data["leavers_with_sukarela_left_open"] = opened
    to_heirs = [p.share.member_id for p in payouts if p.heirs]
    if to_heirs:
        data["paid_to_heirs"] = to_heirs
    named = [mid for mid, parts in heirs.items() if parts and parts[0].get("named_at_payout")]
    if named:
        data["recipient_named_at_payout"] = {str(mid): heirs[mid][0]["name"] for mid in named}
    elsewhere = {
        str(s.member_id): targets[s.member_id].member_id
        for s, _a in plan
        if s.member_id in targets and targets[s.member_id].member_id != s.member_id
    }
    if elsewhere:
        data["credited_to_later_membership"] = elsewhere
    if aside:
        data["set_aside_without_sukarela"] = [x.share.member_id for x in aside]
    audit_log(actor=by, action=YearEndAudit.SHU_PAYOUT, target=ye, data=data)
    return PayoutBatch(payouts=payouts, set_aside=aside)


def _check_interest_not_run(on: date, product_ids: set[int]) -> None:
    """A credit to sukarela dated back into a month whose jasa simpanan was run: the jasa
    was paid on balances it would change after the fact. Refused by the savings
    module's rule for back-dated movements (``interest_run_through``); a payout dated
    today (the year page's) never falls in such a month."""
    for pid in sorted(product_ids):
        run = interest_run_through(product_id=pid, on=on)
        if run is not None:
            raise ApplicationError(
                E.PAYOUT_INTEREST_RUN,
                _(
                    "Jasa %(p)s bulan %(m)s sudah dihitung; SHU yang dikreditkan ke "
                    "simpanan sukarela tidak dapat bertanggal %(d)s (paling awal sesudah "
                    "bulan itu)."
                )
                % {"p": run.product.name, "m": run.month_shown, "d": format_tanggal(on)},
                fields={"on": [_("Bulan ini sudah dihitung jasanya.")]},
            )


RECEIVED_BY_MAX = 200


def _heirs_paid(plan: list[tuple[MemberShare, Decimal]], received_by: dict) -> dict[int, list]:
    """Per member who died: who receives the payout. The heirs registered, each their
    part by their shares (``heir_parts``), as the exit settlement paid them; with none
    registered (none can be added once the member has left), the recipient the batch
    names (``received_by``: the heir by the certificate of inheritance), the whole
    amount theirs. Neither: refused, naming the members and what to do."""
    out: dict[int, list] = {}
    unnamed = []
    for s, a in plan:
        if s.member.status != Member.Status.DECEASED:
            continue
        parts = heir_parts(member=s.member, amount=a)
        if not parts:
            name = " ".join(str(received_by.get(s.member_id) or "").split())
            if not name:
                unnamed.append(s)
                continue
            if len(name) > RECEIVED_BY_MAX:
                raise ApplicationError(
                    E.PAYOUT_INVALID,
                    _("Nama penerima paling banyak %(n)s karakter.") % {"n": RECEIVED_BY_MAX},
                    fields={"received_by": [_("Terlalu panjang.")]},
                )
            parts = [
                {
                    "name": name,
                    "relationship": "",
                    "share_percent": "100",
                    "amount": str(a),
                    "named_at_payout": True,
                }
            ]
        out[s.member_id] = parts
    if unnamed:
        raise ApplicationError(
            E.NO_HEIRS,
            _(
                "Anggota %(m)s meninggal dunia dan tidak punya ahli waris terdaftar; SHU-nya "
                "dibayarkan kepada ahli waris. Ahli waris tidak dapat lagi ditambahkan pada "
                "anggota yang sudah keluar: isi nama penerima (ahli waris menurut surat "
                "keterangan ahli waris, dengan hubungannya), lalu bayar lagi."
            )
            % {"m": ", ".join(str(s.member) for s in unnamed)},
            fields={"received_by": [str(s.member_id) for s in unnamed]},
        )
    return out


@transaction.atomic
def shu_shares_settle_at_exit(*, member_id: int, amount: Decimal) -> dict[str, str]:
    """The exit settlement paid ``amount`` of the member's unpaid SHU from SHU bagian
    anggota: mark it paid on their posted shares, oldest year first, so the share rows
    agree with the ledger. Returns what was marked per share (``{share pk: amount}``),
    for ``shu_shares_unsettle_at_exit``."""
    settled: dict[str, str] = {}
    left = Decimal(amount)
    shares = (
        MemberShare.objects.select_for_update()
        .filter(member_id=member_id, paid__lt=F("total"))
        .order_by("year_end__year", "pk")
    )
    for share in shares:
        if left <= 0:
            break
        part = min(share.total - share.paid, left)
        share.paid += part
        share.save(update_fields=["paid"])
        settled[str(share.pk)] = str(part)
        left -= part
    return settled


@transaction.atomic
def shu_shares_unsettle_at_exit(*, settled: dict[str, str]) -> None:
    """Undo ``shu_shares_settle_at_exit`` (the exit settlement reversed: the SHU is owed
    again)."""
    for pk, part in settled.items():
        share = MemberShare.objects.select_for_update().get(pk=int(pk))
        share.paid -= Decimal(part)
        share.save(update_fields=["paid"])


# --------------------------------------------------------------------------- RAT texts


def rat_texts_set(*, year: int, by, **values) -> RatReport:
    """Save the pack's texts for ``year`` (unknown fields refused)."""
    if getattr(by, "role", None) not in TREASURY | {R.KETUA}:
        raise ApplicationError(
            E.NOT_ALLOWED, _("Anda tidak berwenang mengubah laporan RAT."), status=403
        )
    unknown = sorted(set(values) - set(RatReport.TEXT_FIELDS))
    if unknown:
        raise ApplicationError(
            E.INVALID,
            _("Kolom tidak dikenal: %(f)s") % {"f": ", ".join(unknown)},
            fields={f: [_("Tidak dikenal.")] for f in unknown},
        )
    with transaction.atomic():
        row = RatReport.objects.select_for_update().filter(year=year).first() or rat_report_for(
            year=year
        )
        for f, v in values.items():
            setattr(row, f, str(v or "").strip())
        row.updated_by = by if getattr(by, "is_authenticated", False) else None
        row.save()
        audit_log(
            actor=by, action=YearEndAudit.RAT_TEXTS_SET, target=row, data={"fields": sorted(values)}
        )
    return row


def rat_held_set(*, year: int, held_on: date | None, by, today: date | None = None) -> RatReport:
    """Record (or clear, with None) the day the RAT of fiscal year ``year`` was held.
    It must fall after the year and not in the future. Audited."""
    if getattr(by, "role", None) not in TREASURY | SETTINGS_ADMINS | {R.KETUA}:
        raise ApplicationError(
            E.NOT_ALLOWED, _("Anda tidak berwenang mencatat tanggal RAT."), status=403
        )
    year = year_check(year)
    today = today or timezone.localdate()
    if held_on is not None and (held_on.year <= year or held_on > today):
        raise ApplicationError(
            E.RAT_INVALID,
            _("Tanggal RAT tahun buku %(y)s harus sesudah tahun itu dan tidak di masa depan.")
            % {"y": year},
            fields={"held_on": [_("Tanggal tidak sesuai.")]},
        )
    posted = YearEnd.objects.filter(year=year, status=YearEnd.Status.POSTED).first()
    if posted is not None and held_on != posted.rat_date:
        raise ApplicationError(
            E.RAT_INVALID,
            _("SHU tahun buku %(y)s sudah diposting dengan tanggal RAT %(d)s.")
            % {"y": year, "d": format_tanggal(posted.rat_date)},
            fields={"held_on": [_("Tanggal tidak sesuai.")]},
        )
    with transaction.atomic():
        row = RatReport.objects.select_for_update().filter(year=year).first() or rat_report_for(
            year=year
        )
        before = row.held_on
        row.held_on = held_on
        row.updated_by = by if getattr(by, "is_authenticated", False) else None
        row.save()
        audit_log(
            actor=by,
            action=YearEndAudit.RAT_HELD_SET,
            target=row,
            data={
                "year": year,
                "from": before.isoformat() if before else None,
                "to": held_on.isoformat() if held_on else None,
            },
        )
    return row
