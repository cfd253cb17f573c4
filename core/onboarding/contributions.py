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
from django.db.models.functions import Upper
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.errors import ApplicationError
from core.common.money import RupiahError, parse_rupiah
from core.common.spreadsheet import CellProblem
from core.ledger.models import FiscalYear
from core.loans.models import JasaPaidBroughtIn
from core.members.models import Member

from .audit import OnboardingAudit
from .common import E, raise_row_errors, require_role, row_error, row_number
from .models import MoveIn

ZERO = Decimal("0")


def source_ref(mi: MoveIn) -> str:
    return f"move-in:{mi.pk}"


def _number(value) -> str:
    """A member number as a cell gives it: a number-typed cell (``7`` read as ``7.0``)
    as its digits; the registry's numbers are unique whatever their case."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value if value is not None else "").split())


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


@transaction.atomic
def shu_contributions_post(*, move_in: MoveIn, rows: list[dict[str, Any]], by) -> dict:
    """Save, per member, the jasa paid in the cut-over's year in the old books (rows
    ``{"row", "member_number", "jasa"}``), replacing what this move-in saved before (a
    corrected file is simply sent again). Every row error at once, nothing saved on any:
    unknown member, a member twice, a member who joined after the cut-over or left
    before the year began (not in the year's SHU), an amount
    that is not whole non-negative rupiah. Allowed while the move-in is not undone and
    the cut-over's fiscal year is open (the year end reads them when it computes SHU)."""
    require_role(by, _("mencatat jasa yang dibayar di pembukuan lama"))
    mi = MoveIn.objects.select_for_update().get(pk=move_in.pk)
    year = mi.cutover_date.year
    shu_contributions_check_open(mi)
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ApplicationError(E.ROWS_INVALID, _("Baris harus berupa daftar."))
    numbers = {_number(r.get("member_number")).upper() for r in rows}
    members = {
        m.number.upper(): m
        for m in Member.objects.annotate(u=Upper("number")).filter(u__in=numbers - {""})
    }
    errors: list[dict] = []
    seen: dict[int, int] = {}
    amounts: dict[int, Decimal] = {}
    for i, raw in enumerate(rows, start=1):
        n = row_number(raw.get("row"), i, errors)
        number, value = raw.get("member_number"), raw.get("jasa")
        if isinstance(number, CellProblem) or isinstance(value, CellProblem):
            bad = number if isinstance(number, CellProblem) else value
            errors.append(row_error(n, "member_number" if bad is number else "jasa", bad.message))
            continue
        number = _number(number)
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
                    % {"m": number, "d": member.join_date.isoformat()},
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
                    % {"m": number, "d": member.exit_date.isoformat(), "y": year},
                )
            )
            continue
        try:
            amount = parse_rupiah(value, field=_("Jasa"), allow_dash_zero=True)
        except RupiahError as exc:
            errors.append(row_error(n, "jasa", exc.text))
            continue
        if amount > 0:
            amounts[member.pk] = amount
    raise_row_errors(
        errors, _("Daftar jasa tahun berjalan berisi kesalahan; tidak ada yang disimpan.")
    )
    ref = source_ref(mi)
    JasaPaidBroughtIn.objects.filter(source_ref=ref).delete()
    JasaPaidBroughtIn.objects.bulk_create(
        [
            JasaPaidBroughtIn(member_id=mid, year=year, amount=a, source_ref=ref, created_by=by)
            for mid, a in amounts.items()
        ]
    )
    total = sum(amounts.values(), ZERO)
    audit_log(
        actor=by,
        action=OnboardingAudit.SHU_CONTRIBUTIONS,
        target=mi,
        data={"year": year, "members": len(amounts), "total": str(total)},
    )
    return {"year": year, "members": len(amounts), "total": total}


def shu_contributions_remove(mi: MoveIn) -> int:
    """The undo's part: what this move-in brought in goes with it."""
    return JasaPaidBroughtIn.objects.filter(source_ref=source_ref(mi)).delete()[0]
