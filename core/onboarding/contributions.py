"""The members' SHU contributions of the cut-over's year brought in from the old books:
the jasa pinjaman each member paid from 1 January up to the cut-over. Lumbung's year end
shares the year's jasa anggota (JUA) pool by the jasa paid in the year; without these
figures a cut-over during the year would give the months before it to nobody but those
who pay jasa after it (``core.loans.models.JasaPaidBroughtIn``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.dates import format_tanggal
from core.common.errors import ApplicationError
from core.common.money import RupiahError, parse_rupiah
from core.common.spreadsheet import CellProblem
from core.ledger.close_guards import close_lock
from core.ledger.models import FiscalYear
from core.loans.models import JasaPaidBroughtIn
from core.members.models import Member

from .audit import OnboardingAudit
from .common import (
    E,
    member_number_text,
    members_by_number,
    raise_row_errors,
    require_role,
    row_error,
    row_number,
)
from .models import MoveIn

ZERO = Decimal("0")


def source_ref(mi: MoveIn) -> str:
    return f"move-in:{mi.pk}"


def shu_contributions_check_open(mi: MoveIn) -> None:
    """Refuse when the move-in is undone or the cut-over's fiscal year is closed (the
    year end has read the figures)."""
    if mi.status == MoveIn.Status.UNDONE:
        raise ApplicationError(E.WRONG_STATE, _("Proses pindah ini sudah dibatalkan."), status=409)
    year = mi.cutover_date.year
    if FiscalYear.objects.filter(year=year, status=FiscalYear.Status.CLOSED).exists():
        raise ApplicationError(
            E.WRONG_STATE,
            _("Tahun buku %(y)s sudah ditutup; jasa tahun itu tidak dapat diubah lagi.")
            % {"y": year},
            status=409,
        )


def _checked(mi: MoveIn, rows: list[dict[str, Any]]) -> list[tuple[int, Member, Decimal]]:
    """The rows as ``(row, member, jasa)``, or every row error at once (nothing saved):
    unknown member, a member twice, a member who joined after the cut-over or left before
    the year began (not in the year's SHU), an amount that is not whole non-negative
    rupiah."""
    year = mi.cutover_date.year
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ApplicationError(E.ROWS_INVALID, _("Baris harus berupa daftar."))
    members = members_by_number(r.get("member_number") for r in rows)
    errors: list[dict] = []
    seen: dict[int, int] = {}
    out: list[tuple[int, Member, Decimal]] = []
    for i, raw in enumerate(rows, start=1):
        n = row_number(raw.get("row"), i, errors)
        number, value = raw.get("member_number"), raw.get("jasa")
        if isinstance(number, CellProblem) or isinstance(value, CellProblem):
            bad = number if isinstance(number, CellProblem) else value
            errors.append(row_error(n, "member_number" if bad is number else "jasa", bad.message))
            continue
        number = member_number_text(number)
        member = members.get(number.upper())
        if member is None:
            errors.append(
                row_error(
                    n,
                    "member_number",
                    _("Anggota %(m)s tidak ada.") % {"m": number or "-"}
                    if number
                    else _("Nomor anggota wajib diisi."),
                )
            )
            continue
        if member.pk in seen:
            errors.append(
                row_error(
                    n,
                    "member_number",
                    _("Anggota %(m)s sudah ada di baris %(r)s.")
                    % {"m": number, "r": seen[member.pk]},
                )
            )
            continue
        seen[member.pk] = n
        if member.join_date and member.join_date > mi.cutover_date:
            errors.append(
                row_error(
                    n,
                    "member_number",
                    _(
                        "Anggota %(m)s masuk %(d)s, sesudah tanggal pindah; jasanya tercatat di Lumbung."
                    )
                    % {"m": number, "d": format_tanggal(member.join_date)},
                )
            )
            continue
        if member.exit_date and member.exit_date < date(year, 1, 1):
            # not in the year's SHU: the jasa would count nowhere
            errors.append(
                row_error(
                    n,
                    "member_number",
                    _(
                        "Anggota %(m)s keluar %(d)s, sebelum tahun buku %(y)s; tidak ikut SHU "
                        "tahun itu."
                    )
                    % {"m": number, "d": format_tanggal(member.exit_date), "y": year},
                )
            )
            continue
        try:
            amount = parse_rupiah(value, field=_("Jasa"), allow_dash_zero=True)
        except RupiahError as exc:
            errors.append(row_error(n, "jasa", exc.text))
            continue
        out.append((n, member, amount))
    raise_row_errors(
        errors, _("Daftar jasa tahun berjalan berisi kesalahan; tidak ada yang disimpan.")
    )
    return out


def _summary(mi: MoveIn, checked: list[tuple[int, Member, Decimal]]) -> dict:
    paid = [(n, m, a) for n, m, a in checked if a > 0]
    return {
        "year": mi.cutover_date.year,
        "members": len(paid),
        "total": sum((a for _n, _m, a in paid), ZERO),
        "lines": [
            {"row": n, "member_number": m.number, "name": m.full_name, "jasa": a}
            for n, m, a in sorted(paid, key=lambda x: x[1].number)
        ],
    }


def shu_contributions_preview(*, move_in: MoveIn, rows: list[dict[str, Any]], by) -> dict:
    """What ``shu_contributions_post`` would save for ``rows`` (per member, the count and
    total), checked the same way, every row error at once; nothing is written."""
    require_role(by, _("mencatat jasa yang dibayar di pembukuan lama"))
    mi = MoveIn.objects.get(pk=move_in.pk)
    shu_contributions_check_open(mi)
    return _summary(mi, _checked(mi, rows))


@transaction.atomic
def shu_contributions_post(*, move_in: MoveIn, rows: list[dict[str, Any]], by) -> dict:
    """Save, per member, the jasa paid in the cut-over's year in the old books (rows
    ``{"row", "member_number", "jasa"}``), replacing what this move-in saved before (a
    corrected file is simply sent again). Every row error at once, nothing saved on any
    (see ``_checked``). Allowed while the move-in is not undone and the cut-over's fiscal
    year is open (the year end reads them when it computes SHU)."""
    require_role(by, _("mencatat jasa yang dibayar di pembukuan lama"))
    # the close lock before the move-in's row (the order of the go-live and the undo):
    # a year close running meanwhile commits first and is read closed here, or waits
    close_lock()
    mi = MoveIn.objects.select_for_update().get(pk=move_in.pk)
    year = mi.cutover_date.year
    shu_contributions_check_open(mi)
    checked = _checked(mi, rows)
    summary = _summary(mi, checked)
    ref = source_ref(mi)
    JasaPaidBroughtIn.objects.filter(source_ref=ref).delete()
    JasaPaidBroughtIn.objects.bulk_create(
        [
            JasaPaidBroughtIn(member_id=m.pk, year=year, amount=a, source_ref=ref, created_by=by)
            for _n, m, a in checked
            if a > 0
        ]
    )
    audit_log(
        actor=by,
        action=OnboardingAudit.SHU_CONTRIBUTIONS,
        target=mi,
        data={"year": year, "members": summary["members"], "total": str(summary["total"])},
    )
    return {"year": year, "members": summary["members"], "total": summary["total"]}


def shu_contributions_remove(mi: MoveIn) -> int:
    """The undo's part: what this move-in brought in goes with it."""
    return JasaPaidBroughtIn.objects.filter(source_ref=source_ref(mi)).delete()[0]
