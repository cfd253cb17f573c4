"""The RAT pack of a closed year: one PDF with the cooperative's letterhead (cover,
agenda, the board's and supervisors' reports, the four statements with the previous
year (the equity statement's seven columns on a landscape page), notes (CaLK: the
accounting policies, the loans receivable's and the PPAP's movements, the loans written
off), the SHU allocation and the
per-member list (for a year closed with a deficit: the result and that no SHU is
shared out), member statistics, savings and loan portfolio, collectibility and NPL,
restructured loans, a signature page) and one XLSX with its tables. The collectibility
table gives each grade's days, PPAP rate and base (principal less deferred jasa), so the
PPAP can be recomputed from it.

Every table has the ledger's report shape (``core.ledger.tables``): ``{"title",
"subtitle", "columns", "rows": [{"kind", "cells"}]}``; a Decimal cell is money, an int
cell a count. Both stay numbers in the XLSX (rupiah and thousands formats); only the PDF
turns them into text (``printable_table``)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Case, Count, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Font

from core.common.dates import format_date, format_tanggal, format_waktu
from core.common.exports import safe_cell, safe_row, sheet_title, workbook_bytes
from core.common.money import format_percent, format_rupiah
from core.common.pdf import html_to_pdf, render_html
from core.ledger import reports, tables
from core.ledger.models import JournalEntry, JournalLine
from core.ledger.selectors import account_balance, account_for_role, totals_between
from core.loans.models import (
    KOLEK_CHOICES,
    Loan,
    LoanRecovery,
    LoanReversal,
    LoanWriteOff,
    Reschedule,
)
from core.loans.selectors import collectibility_summary
from core.members.models import Agency, Member
from core.savings.models import SavingsAccount, SavingsProduct, SavingsTransaction

from .allocation import FUNDS, MEMBER_POOLS, FundSplit, remainder_units
from .models import MemberShare, RatReport, YearEnd
from .selectors import closed_year_end, no_shu_note, shu_preview, year_fund_split

ZERO = Decimal("0")
FUND_LABELS = {  # lazy: the preview page and the pack are read in the user's language
    "jasa_modal": gettext_lazy("Jasa modal (anggota)"),
    "jasa_anggota": gettext_lazy("Jasa anggota / usaha (anggota)"),
    "cadangan": gettext_lazy("Cadangan"),
    "pengurus": gettext_lazy("Dana pengurus"),
    "pendidikan": gettext_lazy("Dana pendidikan"),
    "karyawan": gettext_lazy("Dana karyawan"),
    "pembangunan": gettext_lazy("Dana pembangunan daerah kerja"),
    "sosial": gettext_lazy("Dana sosial"),
}
KOLEK = dict(KOLEK_CHOICES)  # every grade of both schemes (DPK too), translated
DEFAULT_POLICIES = (  # as Lumbung books them; the board edits it for its own notes
    "Laporan keuangan disusun berdasarkan Standar Akuntansi Keuangan Entitas Privat (SAK EP) "
    "dengan dasar akrual dan biaya historis, dalam Rupiah, kecuali pendapatan jasa pinjaman, "
    "yang diakui pada saat diterima. Jasa tertunggak yang dikapitalisasi saat restrukturisasi "
    "pinjaman dicatat sebagai pendapatan jasa ditangguhkan (kewajiban) dan diakui sebagai "
    "pendapatan sebanding dengan pokok yang dibayar. Beban jasa simpanan diakui setiap akhir "
    "bulan. Piutang pinjaman anggota disajikan sebesar sisa pokok dikurangi penyisihan "
    "penghapusan (PPAP); PPAP dihitung per pinjaman dari sisa pokok dikurangi jasa "
    "ditangguhkan, dengan tarif menurut kolektibilitas (lihat catatan kolektibilitas "
    "pinjaman). Pinjaman macet dapat dihapusbukukan dengan keputusan pengurus dan dibebankan "
    "pada PPAP. Simpanan pokok dan wajib disajikan sesuai pengaturan koperasi. SHU dibagi "
    "menurut AD/ART setelah disetujui Rapat Anggota Tahunan."
)


def _row(kind: str, *cells) -> dict:
    return {"kind": kind, "cells": list(cells)}


def _table(title, subtitle, columns, rows) -> dict:
    return {
        "title": title,
        "subtitle": subtitle,
        "columns": columns,
        "num_columns": len(columns) - 2,
        "rows": rows,
    }


def rat_report_for(*, year: int) -> RatReport:
    return RatReport.objects.filter(year=year).first() or RatReport(
        year=year, policies=DEFAULT_POLICIES
    )


# ------------------------------------------------------------------------------ tables


def _statements(year: int) -> list[dict]:
    start, end = date(year, 1, 1), date(year, 12, 31)
    prev_end = start - timedelta(days=1)
    return [
        tables.balance_sheet_table(reports.balance_sheet(as_of=end, compare_as_of=prev_end)),
        tables.income_statement_table(reports.income_statement(date_from=start, date_to=end)),
        # seven columns of figures: printed on a page turned sideways
        tables.equity_changes_table(reports.equity_changes(date_from=start, date_to=end))
        | {"landscape": True},
        tables.cash_flow_table(reports.cash_flow(date_from=start, date_to=end)),
    ]


def _no_shu_table(ye: YearEnd) -> dict:
    """A year closed with a deficit (or nothing): the result and that nothing is shared
    out, in place of the split and the per-member list."""
    note = no_shu_note(ye)
    if ye.shu_after_tax < 0:
        subtitle = _("Defisit: tidak ada SHU yang dibagi")
    else:
        subtitle = _("Tidak ada SHU yang dibagi")
    return _table(
        _("Pembagian SHU tahun buku %(y)s") % {"y": ye.year},
        subtitle,
        ["", _("Pos"), _("Persentase"), _("Jumlah")],
        [
            _row("row", "", _("SHU sebelum pajak"), "", ye.shu_before_tax),
            _row("row", "", _("Pajak penghasilan"), "", ye.income_tax),
            _row("subtotal", "", _("SHU setelah pajak"), "", ye.shu_after_tax),
            _row("row", "", note, "", ""),
        ],
    )


def _percent(value) -> str:
    """An AD/ART percentage kept in the snapshot as JSON text ("2.50") as people here
    write it: "2,5%" (the cooperative's number format, English screens too), no
    trailing zeros."""
    if value in (None, ""):
        return ""
    d = Decimal(str(value))
    d = d.quantize(Decimal(1)) if d == d.to_integral_value() else d.normalize()
    return f"{number_format(d)}%"


def _shu_tables(ye: YearEnd) -> list[dict]:
    if ye.shu_after_tax <= 0:  # a RAT is held every year, a deficit year's too
        return [_no_shu_table(ye)]
    snap = ye.settings_snapshot or {}
    pct = snap.get("percentages", {})
    if ye.status == YearEnd.Status.POSTED:
        funds = {k: Decimal(v) for k, v in ye.funds.items() if k in FUNDS}
        to_reserve = {p: Decimal(ye.funds.get(f"{p}_to_cadangan", "0")) for p in MEMBER_POOLS}
        shares = [
            (s.member.number, s.member.full_name, s.capital, s.contribution, s.jma, s.jua, s.total)
            for s in MemberShare.objects.filter(year_end=ye)
            .select_related("member")
            .order_by("member__number")
        ]
        basis = _("diposting sesuai keputusan RAT %(d)s") % {"d": ye.rat_decision}
        split = year_fund_split(ye)
    else:
        p = shu_preview(year=ye.year)
        funds, to_reserve, split = dict(p.funds), dict(p.to_reserve), p.split
        shares = [
            (
                r.number,
                p.names.get(r.member_id, ""),
                r.capital,
                r.contribution,
                r.jma,
                r.jua,
                r.total,
            )
            for r in p.allocation.shares
        ]
        basis = _("rancangan, menunggu persetujuan RAT")
    rows = [
        _row("row", "", _("SHU sebelum pajak"), "", ye.shu_before_tax),
        _row("row", "", _("Pajak penghasilan"), "", ye.income_tax),
        _row("subtotal", "", _("SHU setelah pajak (dibagi)"), "", ye.shu_after_tax),
    ]
    handed = remainder_notes(rows=[s[2:6] for s in shares], unit=split.unit)
    for f in FUNDS:
        rows.append(_row("row", "", FUND_LABELS[f], _percent(pct.get(f)), funds.get(f, ZERO)))
        if f in handed:
            rows.append(_row("row", "", handed[f], "", ""))
        if f == "cadangan":
            rows += [
                _row("row", "", note, "", "")
                for note in rounding_notes(split) + to_reserve_notes(to_reserve)
            ]
    rows.append(_row("total", "", _("Jumlah"), "100%", sum(funds.values(), ZERO)))
    allocation = _table(
        _("Pembagian SHU tahun buku %(y)s") % {"y": ye.year},
        basis,
        ["", _("Pos"), _("Persentase"), _("Jumlah")],
        rows,
    )
    member_rows = [_row("row", *s) for s in shares]
    member_rows.append(
        _row(
            "total",
            "",
            _("Jumlah"),
            sum((s[2] for s in shares), ZERO),
            sum((s[3] for s in shares), ZERO),
            sum((s[4] for s in shares), ZERO),
            sum((s[5] for s in shares), ZERO),
            sum((s[6] for s in shares), ZERO),
        )
    )
    per_member = _table(
        _("SHU per anggota tahun buku %(y)s") % {"y": ye.year},
        basis + " · " + _("jumlah dalam rupiah"),
        [
            _("No. anggota"),
            _("Nama"),
            _("Modal"),
            _("Jasa pinjaman dibayar"),
            _("JMA"),
            _("JUA"),
            _("SHU"),
        ],
        member_rows,
    )
    per_member["compact"] = True  # a list as long as the membership: printed as text
    per_member["compact_columns"] = [
        _("No. anggota"),
        _("Nama"),
        _("Modal"),
        _("Jasa dibayar"),
        "JMA",
        "JUA",
        "SHU",
    ]
    return [allocation, per_member]


def remainder_notes(*, rows: list[tuple], unit: int) -> dict[str, str]:
    """Where each members' pool's leftover went: every share is the pool × the member's
    weight ÷ all weights rounded down to a multiple of ``unit``, and what that leaves is
    handed out one unit each to the largest fractions, ties by member number
    (``allocation.largest_remainder``): why members with equal capital may differ by
    one unit. ``rows``: each member's (capital, contribution, JMA, JUA). A note per pool
    that had anything to hand out (the RAT pack, under the pool's line; the preview page,
    under the funds)."""
    notes = {}
    for pool, weight, part in (("jasa_modal", 0, 2), ("jasa_anggota", 1, 3)):
        total = sum((r[part] for r in rows), ZERO)
        n = remainder_units(units=int(total) // unit, weights=[r[weight] for r in rows])
        if n > 0:
            notes[pool] = _(
                "%(p)s: bagian tiap anggota dibulatkan ke bawah ke kelipatan %(u)s; sisanya, "
                "%(a)s, dibagikan %(u)s seorang kepada %(n)s anggota dengan pecahan terbesar "
                "(bila sama, nomor anggota terkecil), sehingga jumlahnya tepat %(t)s."
            ) % {
                "p": FUND_LABELS[pool],
                "u": format_rupiah(Decimal(unit)),
                "a": format_rupiah(Decimal(n * unit)),
                "n": number_format(n, force_grouping=True),
                "t": format_rupiah(total),
            }
    return notes


def posted_remainder_notes(ye: YearEnd) -> dict[str, str]:
    """``remainder_notes`` of a year whose SHU is posted, from its members' shares as
    posted (the member portal's SHU page): nothing for a year with no SHU to share."""
    if ye.shu_after_tax <= 0:
        return {}
    rows = list(
        MemberShare.objects.filter(year_end=ye).values_list("capital", "contribution", "jma", "jua")
    )
    return remainder_notes(rows=rows, unit=year_fund_split(ye).unit)


def to_reserve_notes(to_reserve: dict[str, Decimal]) -> list[str]:
    """Why cadangan holds more than its percentage: each members' pool nobody had a claim
    on went there (the pool's own line shows what members received: nothing)."""
    why = {
        "jasa_modal": _(
            "Cadangan termasuk jasa modal %(a)s: tidak ada anggota yang bermodal, "
            "dialihkan ke cadangan."
        ),
        "jasa_anggota": _(
            "Cadangan termasuk jasa anggota %(a)s: tidak ada anggota yang membayar jasa "
            "pinjaman, dialihkan ke cadangan."
        ),
    }
    return [why[p] % {"a": format_rupiah(a)} for p, a in to_reserve.items() if a > 0]


def rounding_to_cadangan(split: FundSplit) -> dict[str, Decimal]:
    """What rounding put into cadangan: per members' pool, what rounding it down to a
    multiple of the rounding unit left, and the SHU's part below one rupiah (``sen``)."""
    return {**{p: split.rounded.get(p, ZERO) for p in MEMBER_POOLS}, "sen": split.sen}


def rounding_notes(split: FundSplit) -> list[str]:
    """Why cadangan holds more than its percentage, part two: the members' shares are
    multiples of the rounding unit (what that leaves of their pools went there) and the
    split is in whole rupiah (the SHU's sen went there). Nothing when nothing was left."""
    notes = []
    left = rounding_to_cadangan(split)
    pools = left["jasa_modal"] + left["jasa_anggota"]
    if pools > 0:
        notes.append(
            _(
                "Cadangan termasuk sisa pembulatan %(a)s: bagian anggota dibulatkan ke "
                "kelipatan %(u)s (dari jasa modal %(m)s, dari jasa anggota %(g)s)."
            )
            % {
                "a": format_rupiah(pools),
                "u": format_rupiah(Decimal(split.unit)),
                "m": format_rupiah(left["jasa_modal"]),
                "g": format_rupiah(left["jasa_anggota"]),
            }
        )
    if left["sen"] > 0:
        notes.append(
            _(
                "Cadangan termasuk %(a)s, bagian SHU setelah pajak di bawah satu rupiah: "
                "pembagian dalam rupiah utuh."
            )
            % {"a": format_rupiah(left["sen"], decimals=2)}
        )
    return notes


def capital_estimate_notes(estimates: list[dict]) -> list[str]:
    """The average capital basis with a cut-over during the year: which month-ends had
    no savings in Lumbung, for how many members they came from the old books' balances
    (uploaded at the move-in) and for how many they were estimated from the capital
    brought in (``selectors.capital_estimates``); the months one by one in
    ``capital_month_notes``."""
    out = []
    for x in estimates:
        months = sorted({m["month_end"] for m in x["months"]} or set(x["month_ends"]))
        parts = [
            _(
                "Modal rata-rata: akhir bulan %(months)s %(y)s, sebelum pindah ke Lumbung "
                "(%(d)s), tidak punya simpanan di Lumbung."
            )
            % {
                "months": ", ".join(date_format(e, "F") for e in months),
                "y": x["cutover"].year,
                "d": format_date(x["cutover"]),
            }
        ]
        if x.get("old_books_members"):
            parts.append(
                _(
                    "Untuk %(n)s anggota saldo akhir bulan diambil dari pembukuan lama "
                    "(diunggah saat pindah ke Lumbung)."
                )
                % {"n": x["old_books_members"]}
            )
        if x["members"]:
            parts.append(
                _(
                    "Yang tidak diunggah diperkirakan, untuk %(n)s anggota yang dibawa masuk "
                    "saat itu: sama dengan simpanan modal yang dibawa masuk (saldo awal), dan "
                    "nol untuk akhir bulan sebelum anggota masuk."
                )
                % {"n": x["members"]}
            )
        out.append(" ".join(parts))
    return out


def capital_month_notes(estimates: list[dict]) -> list[str]:
    """Per month-end before a cut-over: how many members' balance came from the old
    books and how many were estimated (``selectors.capital_estimates``)."""
    out = []
    for x in estimates:
        for m in x["months"]:
            text = _(
                "Akhir %(month)s: %(a)s anggota dari pembukuan lama, %(b)s anggota diperkirakan"
            ) % {
                "month": date_format(m["month_end"], "F Y"),
                "a": m["old_books"],
                "b": m["estimated"],
            }
            if m["sukarela_estimated"]:
                text += _(
                    ", %(c)s anggota pokok dan wajib dari pembukuan lama, sukarela diperkirakan"
                ) % {"c": m["sukarela_estimated"]}
            out.append(text + ".")
    return out


def _member_stats(year: int) -> dict:
    start, end = date(year, 1, 1), date(year, 12, 31)
    active_at_end = Member.objects.filter(join_date__lte=end).filter(
        Q(exit_date__isnull=True) | Q(exit_date__gt=end)
    )
    joined = Member.objects.filter(join_date__gte=start, join_date__lte=end).count()
    left = Member.objects.filter(exit_date__gte=start, exit_date__lte=end).count()
    at_start = (
        Member.objects.filter(join_date__lt=start)
        .filter(Q(exit_date__isnull=True) | Q(exit_date__gte=start))
        .count()
    )
    rows = [
        _row("row", "", _("Anggota awal tahun"), at_start),
        _row("row", "", _("Masuk selama tahun"), joined),
        _row("row", "", _("Keluar selama tahun"), left),
        _row("total", "", _("Anggota akhir tahun"), active_at_end.count()),
        _row("section", "", _("Menurut jenis kelamin"), ""),
    ]
    genders = dict(Member.Gender.choices)
    for g in active_at_end.values("gender").annotate(n=Count("id")).order_by("gender"):
        rows.append(_row("row", "", str(genders.get(g["gender"], _("Tidak diisi"))), g["n"]))
    rows.append(_row("section", "", _("Menurut instansi"), ""))
    names = dict(Agency.objects.values_list("pk", "name"))
    for a in active_at_end.values("agency_id").annotate(n=Count("id")).order_by("-n"):
        rows.append(_row("row", "", names.get(a["agency_id"], ""), a["n"]))
    return _table(
        _("Statistik anggota tahun %(y)s") % {"y": year},
        _("Per 31 Desember %(y)s") % {"y": year},
        ["", _("Uraian"), _("Jumlah")],
        rows,
    )


def _savings_portfolio(year: int) -> dict:
    """Balances and accounts per product at 31 December. The balance is every movement up
    to that day (it reconciles with the ledger's savings accounts). The accounts are those
    the cooperative held that day, as an auditor counts them against the sub-ledger: open
    then (opened by 31 December, not closed by then; an empty one too), or with money in
    them at year end. An account closed during the year — a member who left and was paid
    out — is not one of them, as the member is not in the year-end membership."""
    end = date(year, 12, 31)
    balances = dict(
        SavingsTransaction.objects.filter(on__lte=end)
        .values_list("account__product_id")
        .annotate(b=Sum("delta"))
        .order_by()
    )
    open_at_end = Q(opened_on__lte=end) & (Q(closed_on__isnull=True) | Q(closed_on__gt=end))
    money_at_end = (  # only the accounts not open then: closed by 31 December, or opened later
        SavingsTransaction.objects.filter(on__lte=end)
        .filter(Q(account__closed_on__lte=end) | Q(account__opened_on__gt=end))
        .values("account_id")
        .annotate(b=Sum("delta"))
        .exclude(b=0)
        .values("account_id")
    )
    counts = dict(
        SavingsAccount.objects.filter(open_at_end | Q(pk__in=money_at_end))
        .values_list("product_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    kinds = dict(SavingsProduct.Kind.choices)
    rows = []
    for p in SavingsProduct.objects.filter(pk__in=set(balances) | set(counts)).order_by("code"):
        rows.append(
            _row(
                "row",
                p.code,
                f"{p.name} ({kinds.get(p.kind, '')})",
                counts.get(p.pk, 0),
                balances.get(p.pk) or ZERO,
            )
        )
    rows.append(_row("total", "", _("Jumlah"), sum(counts.values()), sum(balances.values(), ZERO)))
    return _table(
        _("Portofolio simpanan"),
        _("Saldo per 31 Desember %(y)s") % {"y": year},
        [_("Kode"), _("Produk"), _("Rekening"), _("Saldo")],
        rows,
    )


def _grade_label(g: dict) -> str:
    """A grade with its band of days past due, as the pengawas checks it: "Kurang Lancar
    (91–180 hari)", "Macet (> 270 hari)"."""
    name = KOLEK.get(g["grade"], g["grade"])
    low, high = g.get("days_from"), g.get("days_to")
    if low is None:  # a grade of the other scheme, still held until the next run
        return str(name)
    if high is None:
        days = _("> %(n)s hari") % {"n": low - 1}
    elif high == low:
        days = _("%(n)s hari") % {"n": low}
    else:
        days = _("%(a)s–%(b)s hari") % {"a": low, "b": high}
    return f"{name} ({days})"


def _loan_tables(year: int) -> list[dict]:
    s = collectibility_summary(as_of=date(year, 12, 31))
    rows = [
        _row(
            "row",
            "",
            _grade_label(g),
            g["count"],
            g["outstanding"],
            g["outstanding"] - g["deferred_jasa"],
            _percent(g["ppap_rate"]),
            g["ppap"],
        )
        for g in s["grades"]
    ]
    deferred = sum((g["deferred_jasa"] for g in s["grades"]), ZERO)
    rows.append(
        _row(
            "total",
            "",
            _("Jumlah"),
            sum(g["count"] for g in s["grades"]),
            s["total"],
            s["total"] - deferred,
            "",
            sum((g["ppap"] for g in s["grades"]), ZERO),
        )
    )
    r = s["restructured"]
    if r["count"]:
        rows.append(
            _row(
                "row",
                "",
                _("Di antaranya pinjaman yang direstrukturisasi"),
                r["count"],
                r["outstanding"],
                r["outstanding"] - r["deferred_jasa"],
                "",
                r["ppap"],
            )
        )
    rows.append(
        _row(
            "row",
            "",
            _("NPL: %(n)s%% (%(b)s)") % {"n": format_percent(s["npl_ratio"]), "b": s["band_label"]},
            "",
            "",
            "",
            "",
            "",
        )
    )
    if deferred:
        rows.append(
            _row(
                "row",
                "",
                _(
                    "Dasar PPAP: sisa pokok dikurangi jasa ditangguhkan (%(a)s), jasa tertunggak "
                    "yang dikapitalisasi saat restrukturisasi dan belum menjadi pendapatan."
                )
                % {"a": format_rupiah(deferred)},
                "",
                "",
                "",
                "",
                "",
            )
        )
    collect = _table(
        _("Kolektibilitas pinjaman dan NPL"),
        _("Kolektibilitas per %(d)s (proses tunggakan tanggal itu)")
        % {"d": format_date(s["as_of"])}
        if s["as_of"]
        else _("Belum ada proses tunggakan akhir bulan; keadaan saat dicetak (%(d)s)")
        % {"d": format_date(timezone.localdate())},
        [
            "",
            _("Kolektibilitas"),
            _("Pinjaman"),
            _("Sisa pokok"),
            _("Dasar PPAP"),
            _("Tarif PPAP"),
            _("PPAP"),
        ],
        rows,
    )
    disbursed = _disbursed_in(year)
    brought = _brought_in(year)
    portfolio = _table(
        _("Portofolio pinjaman"),
        _("Tahun buku %(y)s") % {"y": year},
        ["", _("Uraian"), _("Jumlah")],
        [
            _row("row", "", _("Pinjaman dicairkan (jumlah)"), disbursed["n"] or 0),
            _row("row", "", _("Pinjaman dicairkan (pokok)"), disbursed["p"] or ZERO),
            *(
                [
                    _row(
                        "row",
                        "",
                        _("Pinjaman dibawa masuk saat migrasi (jumlah)"),
                        brought["n"],
                    ),
                    _row(
                        "row",
                        "",
                        _("Pinjaman dibawa masuk saat migrasi (sisa pokok)"),
                        brought["p"],
                    ),
                ]
                if brought["n"]
                else []
            ),
            _row(
                "row",
                "",
                _("Piutang pinjaman akhir tahun (buku besar)"),
                _balance("loan_receivable", year),
            ),
        ],
    )
    resched = [
        _row(
            "row",
            r.loan.number,
            r.loan.member.full_name,
            format_tanggal(r.on),
            r.principal_before,
            f"{r.old_tenor} → {r.new_tenor}",
        )
        for r in Reschedule.objects.filter(on__year=year)
        .select_related("loan__member")
        .order_by("on")
    ]
    restructured = _table(
        _("Pinjaman yang direstrukturisasi"),
        _("Tahun buku %(y)s") % {"y": year},
        [_("Pinjaman"), _("Anggota"), _("Tanggal"), _("Pokok sebelum"), _("Tenor")],
        resched or [_row("row", "", _("Tidak ada."), "", "", "")],
    )
    return [portfolio, collect, restructured]


def year_write_offs(year: int) -> list[LoanWriteOff]:
    """The loans written off in the year, whatever the route (the board's decision, or
    waived at a deceased member's exit): every write-off dated in the year, one reversed
    within the year too (its entry and the reversal's are both in the year's books: it
    is listed again among ``year_write_off_reversals``). One reversed only after 31
    December stood in the year's books and is listed as any other."""
    return list(
        LoanWriteOff.objects.filter(on__year=year)
        .select_related("loan__member")
        .order_by("on", "id")
    )


def year_write_off_reversals(year: int) -> list[LoanWriteOff]:
    """The write-offs reversed in the year (dated the reversal: its entry's day), whatever
    year they were made in: a board write-off of December reversed in January is one of
    January's year. With ``year_write_offs`` they explain the year's write-off entries:
    the board's write-offs less these are what the loans receivable movement's and the
    PPAP movement's write-off lines moved (``_write_off_tie``)."""
    return list(
        LoanWriteOff.objects.filter(reversed_on__year=year)
        .select_related("loan__member")
        .order_by("reversed_on", "id")
    )


def year_recoveries(year: int) -> list[tuple[LoanRecovery, Decimal]]:
    """The money received on written-off loans in the year's books, each with its
    amount: received in the year and not reversed by 31 December, and (negative) one
    received in an earlier year and reversed in this one. Their sum is what the write-off
    register's *recovered* total grew by in the year (as of 31 December against the
    year before) and the year's other income from them."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    qs = LoanRecovery.objects.select_related("loan__member")
    received = qs.filter(paid_on__year=year).filter(
        Q(reversed_on__isnull=True) | Q(reversed_on__gt=end)
    )
    undone = qs.filter(paid_on__lt=start, reversed_on__year=year)
    out = [(r, r.amount) for r in received] + [(r, -r.amount) for r in undone]
    return sorted(out, key=lambda x: (x[0].reversed_on if x[1] < 0 else x[0].paid_on, x[0].pk))


def _write_off_total(wos) -> dict:
    """The *Jumlah* row of a write-off note's nine columns: principal, jasa receivable,
    allowance used and PPAP expense summed."""
    return _row(
        "total",
        _("Jumlah"),
        "",
        "",
        "",
        "",
        sum((wo.principal for wo in wos), ZERO),
        sum((wo.jasa_receivable for wo in wos), ZERO),
        sum((wo.ppap_used for wo in wos), ZERO),
        sum((wo.expense for wo in wos), ZERO),
    )


def _write_off_tables(year: int) -> list[dict]:
    """The notes on the year's write-offs (loan, member, date — with the reversal's when it
    was reversed within the year —, route — the board's decision or a deceased member's
    exit —, decision, principal and jasa written off, the allowance used, the expense),
    the year's reversals of write-offs (of any year), how those tie to the loans
    receivable and PPAP movements, and the year's recoveries, with totals."""
    subtitle = _("Tahun buku %(y)s") % {"y": year}
    end = date(year, 12, 31)
    wos = year_write_offs(year)
    rows = [
        _row(
            "row",
            wo.loan.number,
            f"{wo.loan.member.number} {wo.loan.member.full_name}",
            format_tanggal(wo.on)
            if wo.reversed_on is None or wo.reversed_on > end
            else _("%(d)s, dibatalkan %(r)s")
            % {"d": format_tanggal(wo.on), "r": format_tanggal(wo.reversed_on)},
            str(wo.get_route_display()),
            wo.decision_ref,
            wo.principal,
            wo.jasa_receivable,
            wo.ppap_used,
            wo.expense,
        )
        for wo in wos
    ]
    if rows:
        rows.append(_write_off_total(wos))
    written_off = {"landscape": True} | _table(  # nine columns: a page turned sideways
        _("CaLK: pinjaman dihapusbukukan"),
        subtitle,
        [
            _("Pinjaman"),
            _("Anggota"),
            _("Tanggal"),
            _("Jalur"),
            _("Keputusan pengurus"),
            _("Pokok"),
            _("Piutang jasa"),
            _("Dari PPAP"),
            _("Beban PPAP"),
        ],
        rows or [_row("row", "", _("Tidak ada."), "", "", "", "", "", "", "")],
    )
    reversals = _write_off_reversals_table(year)
    recs = year_recoveries(year)
    rows = [
        _row(
            "row",
            r.loan.number,
            f"{r.loan.member.number} {r.loan.member.full_name}",
            format_tanggal(r.paid_on),
            r.receipt_number
            if amount > 0
            else _("%(r)s, dibatalkan %(d)s")
            % {"r": r.receipt_number, "d": format_tanggal(r.reversed_on)},
            amount,
        )
        for r, amount in recs
    ]
    if rows:
        rows.append(_row("total", _("Jumlah"), "", "", "", sum((a for _r, a in recs), ZERO)))
    recovered = _table(
        _("CaLK: penerimaan pinjaman dihapusbukukan"),
        subtitle,
        [_("Pinjaman"), _("Anggota"), _("Tanggal"), _("Kuitansi"), _("Jumlah")],
        rows or [_row("row", "", _("Tidak ada."), "", "", "")],
    )
    return [written_off, reversals, _write_off_tie(year, wos), recovered]


def _write_off_reversals_table(year: int) -> dict:
    """CaLK: the write-offs reversed in the year (``year_write_off_reversals``), with the
    day each was made and reversed and what its reversal restored: the principal and jasa
    receivable, the allowance, the PPAP expense taken back."""
    revs = year_write_off_reversals(year)
    rows = [
        _row(
            "row",
            wo.loan.number,
            f"{wo.loan.member.number} {wo.loan.member.full_name}",
            format_tanggal(wo.on),
            format_tanggal(wo.reversed_on),
            wo.decision_ref,
            wo.principal,
            wo.jasa_receivable,
            wo.ppap_used,
            wo.expense,
        )
        for wo in revs
    ]
    if rows:
        rows.append(_write_off_total(revs))
    return {"landscape": True} | _table(
        _("CaLK: pembatalan hapus buku pinjaman"),
        _("Tahun buku %(y)s") % {"y": year},
        [
            _("Pinjaman"),
            _("Anggota"),
            _("Tanggal hapus buku"),
            _("Tanggal pembatalan"),
            _("Keputusan pengurus"),
            _("Pokok"),
            _("Piutang jasa"),
            _("Dari PPAP"),
            _("Beban PPAP"),
        ],
        rows or [_row("row", "", _("Tidak ada."), "", "", "", "", "", "", "")],
    )


def _write_off_tie(year: int, wos: list[LoanWriteOff]) -> dict:
    """CaLK: how the two notes above tie to the movements: the board's write-offs of the
    year (decreases, negative) and the reversals of the year (increases) net to the loans
    receivable movement's *Pinjaman dihapusbukukan* (principal) and the PPAP movement's
    *Dipakai untuk pinjaman dihapusbukukan* (allowance used); an exit's waiver, in the
    exit settlement's entry, is in their exit lines (the PPAP one alone, the receivable's
    with the loans settled from savings)."""
    board = [wo for wo in wos if wo.route == LoanWriteOff.Route.BOARD]
    exits = [wo for wo in wos if wo.route == LoanWriteOff.Route.EXIT]
    revs = year_write_off_reversals(year)

    def total(items, name: str) -> Decimal:
        return sum((getattr(wo, name) for wo in items), ZERO)

    made = (-total(board, "principal"), -total(board, "ppap_used"))
    undone = (total(revs, "principal"), total(revs, "ppap_used"))
    rows = [
        _row("row", "", _("Dihapusbukukan dalam tahun (keputusan pengurus)"), *made),
        _row("row", "", _("Pembatalan hapus buku dalam tahun"), *undone),
        _row("total", "", _("Mutasi bersih"), made[0] + undone[0], made[1] + undone[1]),
    ]
    if exits:
        rows.append(
            _row(
                "row",
                "",
                _("Dibebaskan saat anggota keluar (dalam baris penyelesaian keluar anggota)"),
                -total(exits, "principal"),
                -total(exits, "ppap_used"),
            )
        )
    return _table(
        _("CaLK: hapus buku pinjaman terhadap mutasi piutang dan PPAP"),
        _("Tahun buku %(y)s") % {"y": year},
        ["", _("Uraian"), _("Piutang pinjaman"), _("PPAP")],
        rows,
    )


def _disbursed_in(year: int) -> dict:
    """Loans disbursed in the year as its books show them: the loans disbursed then and
    still disbursed, and those whose disbursement of the year was reversed only after 31
    December (the entry, the cash paid out and the receivable at year end are in the
    year's statements; the loan itself is back to approved, ``disbursed_on`` cleared). A
    disbursement reversed within the year is not counted, as the cash flow leaves it
    out."""
    end = date(year, 12, 31)
    # a loan brought in at a move-in points at the opening entry: its payout is in the
    # old books, not in this year's (``_brought_in``)
    still = (
        Loan.objects.filter(disbursed_on__year=year)
        .exclude(disbursement_entry__source=JournalEntry.Source.OPENING)
        .aggregate(n=Count("id"), p=Sum("principal"))
    )
    reversed_later = LoanReversal.objects.filter(
        kind=LoanReversal.Kind.DISBURSEMENT, entry__date__year=year, on__gt=end
    ).aggregate(n=Count("id"), p=Sum("loan__principal"))
    return {
        "n": (still["n"] or 0) + (reversed_later["n"] or 0),
        "p": (still["p"] or ZERO) + (reversed_later["p"] or ZERO),
    }


def _brought_in(year: int) -> dict:
    """Running loans brought in at a move-in whose cut-over fell in the year (the loans
    import points each at the move-in's opening entry, dated the cut-over), whatever
    year the old books paid them out: their number and the receivable the opening
    entry brought in (its lines on the loans receivable account), as the year's books
    show them."""
    loans = Loan.objects.filter(
        disbursement_entry__source=JournalEntry.Source.OPENING,
        disbursement_entry__date__year=year,
    )
    entries = loans.values("disbursement_entry_id")
    amount = JournalLine.objects.filter(
        entry_id__in=entries, account=account_for_role("loan_receivable")
    ).aggregate(d=Sum("debit"), c=Sum("credit"))
    return {"n": loans.count(), "p": (amount["d"] or ZERO) - (amount["c"] or ZERO)}


def _balance(role: str, year: int) -> Decimal:
    return account_balance(account=account_for_role(role), as_of=date(year, 12, 31))


LOAN_ENTRY_KINDS = (  # by the entry's source (a reversal: the source of what it reverses)
    ("disburse", r"^loan:[0-9]+:disburse"),
    ("reschedule", r"^loan:[0-9]+:reschedule"),
    ("repay", r"^(loan-repayment|deduction):"),
    ("writeoff", r"^loan-writeoff:"),
    ("exit", r"^exit:"),
)


def _loan_receivable_movement(year: int) -> dict:
    """CaLK: the loans receivable from the year's opening to its closing balance (the
    balance sheet's loan lines, due within 12 months and after, together), by what moved
    it: loans paid out, overdue jasa capitalised at a restructuring, principal received
    (at the counter, by payroll deduction), a top-up's settlement of the old loan, loans
    written off, loans settled at a member's exit, and anything else (a move-in's opening
    balances). A reversal counts against what it reverses. Decreases are negative: the
    column foots to the closing balance."""
    acc = account_for_role("loan_receivable")
    ref = Coalesce("entry__reverses__source_ref", "entry__source_ref")
    kind = Case(
        *(When(Q(ref__regex=rx), then=Value(k)) for k, rx in LOAN_ENTRY_KINDS),
        default=Value("other"),
    )
    moved = (
        JournalLine.objects.filter(account=acc, entry__date__year=year)
        .annotate(ref=ref)
        .annotate(kind=kind, reversal=Q(entry__reverses__isnull=False))
        .values("kind", "reversal")
        .annotate(d=Sum("debit"), c=Sum("credit"))
        .order_by()
    )
    debit: dict[str, Decimal] = {}
    credit: dict[str, Decimal] = {}
    for m in moved:
        d, c = m["d"] or ZERO, m["c"] or ZERO
        if m["reversal"]:  # takes back what the entry it reverses did
            d, c = -c, -d
        debit[m["kind"]] = debit.get(m["kind"], ZERO) + d
        credit[m["kind"]] = credit.get(m["kind"], ZERO) + c
    closing = _balance("loan_receivable", year)
    net = sum(debit.values(), ZERO) - sum(credit.values(), ZERO)

    def net_of(k: str) -> Decimal:
        return debit.get(k, ZERO) - credit.get(k, ZERO)

    rows = [
        _row("row", "", _("Saldo awal"), closing - net),
        _row("row", "", _("Pinjaman dicairkan"), debit.get("disburse", ZERO)),
        _row(
            "row", "", _("Jasa tertunggak dikapitalisasi (restrukturisasi)"), net_of("reschedule")
        ),
        _row("row", "", _("Angsuran pokok diterima (kasir dan potong gaji)"), net_of("repay")),
    ]
    optional = (
        (-credit.get("disburse", ZERO), _("Pinjaman lama dilunasi dengan pinjaman baru (top-up)")),
    )
    rows += [_row("row", "", label, v) for v, label in optional if v]
    rows.append(_row("row", "", _("Pinjaman dihapusbukukan"), net_of("writeoff")))
    rows += [
        _row("row", "", label, v)
        for v, label in (
            (net_of("exit"), _("Diselesaikan saat anggota keluar")),
            (net_of("other"), _("Lain-lain (dibawa masuk saat pindah ke Lumbung, koreksi)")),
        )
        if v
    ]
    rows.append(_row("total", "", _("Saldo akhir"), closing))
    return _table(
        _("CaLK: mutasi piutang pinjaman anggota"),
        _("Tahun buku %(y)s") % {"y": year},
        ["", _("Uraian"), _("Jumlah")],
        rows,
    )


def _ppap_used_by(lines, prefix: str) -> tuple[Decimal, Decimal]:
    """Debits and credits on the PPAP allowance in ``lines`` made by the entries whose
    source starts with ``prefix`` (a write-off, an exit's waiver) and by their reversals."""
    t = lines.filter(
        Q(entry__source_ref__startswith=prefix) | Q(entry__reverses__source_ref__startswith=prefix)
    ).aggregate(d=Sum("debit"), c=Sum("credit"))
    return t["d"] or ZERO, t["c"] or ZERO


def _ppap_movement(year: int) -> dict:
    """The allowance from the year's opening to its closing balance: what the arrears runs
    charged to PPAP expense, what the board's write-offs (``loan-writeoff:``) and the
    exits' waivers (``exit:``) used of it (each net of its reversals), and what the
    arrears runs released."""
    acc = account_for_role("ppap_allowance")
    moves = totals_between(date(year, 1, 1), date(year, 12, 31), account_ids=[acc.pk])
    d, c = moves.get(acc.pk, (ZERO, ZERO))
    closing = _balance("ppap_allowance", year)
    opening = closing - (c - d)
    lines = JournalLine.objects.filter(account=acc, entry__date__year=year)
    wo_d, wo_c = _ppap_used_by(lines, "loan-writeoff:")
    ex_d, ex_c = _ppap_used_by(lines, "exit:")
    rows = [  # decreases negative: the column foots to the closing balance
        _row("row", "", _("Saldo awal"), opening),
        _row("row", "", _("Penambahan (beban PPAP)"), c - wo_c - ex_c),
        _row("row", "", _("Dipakai untuk pinjaman dihapusbukukan"), wo_c - wo_d),
    ]
    if ex_d or ex_c:
        rows.append(
            _row(
                "row",
                "",
                _("Dipakai untuk pinjaman yang dibebaskan saat anggota keluar"),
                ex_c - ex_d,
            )
        )
    rows += [
        _row("row", "", _("Pemulihan (PPAP dilepas)"), wo_d + ex_d - d),
        _row("total", "", _("Saldo akhir"), closing),
    ]
    return _table(
        _("CaLK: mutasi penyisihan penghapusan piutang (PPAP)"),
        _("Tahun buku %(y)s") % {"y": year},
        ["", _("Uraian"), _("Jumlah")],
        rows,
    )


def rat_pack_tables(*, year: int) -> list[dict]:
    """Every table of the RAT pack, in order. Refused for a year that is not closed."""
    ye = closed_year_end(year=year)
    out = _statements(year)
    out.append(_loan_receivable_movement(year))
    out.append(_ppap_movement(year))
    out += _write_off_tables(year)
    out += _shu_tables(ye)
    out.append(_member_stats(year))
    out.append(_savings_portfolio(year))
    out += _loan_tables(year)
    return out


# ------------------------------------------------------------------------------ render


COMPACT_LINES = 80  # rows per printed block of the long lists
RUPIAH_FORMAT = '"Rp" #,##0;-"Rp" #,##0'
COUNT_FORMAT = "#,##0"


def _plain(value) -> str:
    if isinstance(value, Decimal | int):
        return f"{value:,.0f}".replace(",", ".")
    return str(value)


def printable_table(table: dict) -> dict:
    """A table for the PDF: a long list as text blocks, else cells marked money (Decimal,
    printed as rupiah by the template) or text, counts grouped as people write them
    (``12.345``)."""
    if table.get("compact"):
        return table | {"blocks": compact_blocks(table)}
    rows = [r | {"cells": [_printed(c) for c in r["cells"]]} for r in table["rows"]]
    return tables.with_cell_kinds(table | {"rows": rows})


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _printed(value):
    return number_format(value, force_grouping=True) if _is_count(value) else value


def compact_blocks(table: dict) -> list[str]:
    """A long table as fixed-width text blocks of ``COMPACT_LINES`` rows, each with the
    header (WeasyPrint lays out text lines far faster than table rows: the 10,000-member
    list stays within the pack's time budget)."""
    widths = [11, 28, 14, 14, 12, 12, 13]
    cols = [str(c) for c in table.get("compact_columns", table["columns"])]

    def line(cells) -> str:
        out = []
        for i, (c, w) in enumerate(zip(cells, widths, strict=False)):
            text = _plain(c)[:w]
            out.append(text.ljust(w) if i < 2 else text.rjust(w))
        return " ".join(out)

    header = line(cols)
    rule = "-" * len(header)
    body = [line(r["cells"]) for r in table["rows"]]
    return [
        "\n".join([header, rule, *body[i : i + COMPACT_LINES]])
        for i in range(0, len(body), COMPACT_LINES)
    ]


def rat_pack_pdf(*, year: int) -> bytes:
    return html_to_pdf(rat_pack_html(year=year))


def rat_pack_html(*, year: int) -> str:
    """The RAT pack's HTML, in Indonesian, as ``rat_pack_pdf`` prints it."""
    ye = closed_year_end(year=year)
    texts = rat_report_for(year=year)
    return render_html(
        "yearend/rat_pack_pdf.html",
        {
            "year": year,
            "ye": ye,
            "texts": texts,
            "tables": [printable_table(t) for t in rat_pack_tables(year=year)],
            "printed_at": timezone.localtime(),
        },
    )


def rat_pack_xlsx(*, year: int) -> bytes:
    tbls = rat_pack_tables(year=year)
    wb = Workbook()
    wb.remove(wb.active)
    name = getattr(connection.tenant, "name", "")
    # when printed, as the PDF says (in the blank row before the headings)
    printed = _("Dicetak %(at)s") % {"at": format_waktu(timezone.localtime())}
    for i, t in enumerate(tbls, 1):
        ws = wb.create_sheet(sheet_title(f"{i:02d} {t['title']}"))
        ws.append([safe_cell(name)])
        ws.append([safe_cell(str(t["title"]))])
        ws.append([safe_cell(str(t.get("subtitle", "")))])
        ws["A1"].font = ws["A2"].font = Font(bold=True)
        ws.append([safe_cell(printed)])
        ws.append(safe_row(str(c) for c in t["columns"]))
        for cell in ws[ws.max_row]:
            cell.font = Font(bold=True)
        for row in t["rows"]:
            # numbers stay numbers; text (a member's name) goes through safe_cell:
            # "=HYPERLINK(...)" stays text
            ws.append(
                safe_row(
                    c if isinstance(c, Decimal) or _is_count(c) else str(c) for c in row["cells"]
                )
            )
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, Decimal):
                    cell.number_format = RUPIAH_FORMAT
                elif _is_count(cell.value):
                    cell.number_format = COUNT_FORMAT
                if row["kind"] in ("section", "total", "subtotal", "group"):
                    cell.font = Font(bold=True)
        ws.column_dimensions["B"].width = 48
    return workbook_bytes(wb)
