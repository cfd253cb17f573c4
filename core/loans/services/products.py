"""Loan products and the cooperative's loan settings."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.errors import ApplicationError
from core.common.money import format_rupiah
from core.loans.audit import LoanAudit

from .. import schedules as S
from ..models import (
    LoanProduct,
    LoanSettings,
)
from .common import PRODUCT_ROLES, SETTINGS_ROLES, LoanErrors, _money, _require_role

# --- products and settings ----------------------------------------------------------

PRODUCT_FIELDS = (
    "code",
    "name",
    "method",
    "rate",
    "rate_period",
    "min_amount",
    "max_amount",
    "min_tenor",
    "max_tenor",
    *(f"{f}_{p}" for f in (*LoanProduct.FEES, "early_payoff") for p in ("kind", "value")),
    "late_penalty_rate",
    "late_penalty_basis",
    "late_penalty_grace_days",
    "max_instalment_share",
    "min_membership_months",
    "refuse_if_macet",
    "is_active",
)


def product_range_errors(*, min_amount, max_amount, min_tenor, max_tenor) -> dict[str, str]:
    """The ranges the product table's constraints hold, each said on its field (left to
    the constraint check they came out as *Batasan “loans_product_…” dilanggar.*). A
    value not given (None) is not checked here."""
    errors = {}
    if min_amount is not None and min_amount <= 0:
        errors["min_amount"] = _("Plafon minimum harus lebih dari Rp 0.")
    elif min_amount is not None and max_amount is not None and max_amount < min_amount:
        errors["max_amount"] = _(
            "Plafon maksimum tidak boleh kurang dari plafon minimum (%s)."
        ) % format_rupiah(min_amount)
    if min_tenor is not None and min_tenor < 1:
        errors["min_tenor"] = _("Tenor minimum paling sedikit 1 bulan.")
    elif min_tenor is not None and max_tenor is not None and max_tenor < min_tenor:
        errors["max_tenor"] = (
            _("Tenor maksimum tidak boleh kurang dari tenor minimum (%s bulan).") % min_tenor
        )
    return errors


@transaction.atomic
def loan_product_save(*, by, product: LoanProduct | None = None, **data: Any) -> LoanProduct:
    """Create or change a loan product (admin)."""
    _require_role(by, PRODUCT_ROLES, _("mengatur produk pinjaman"))
    unknown = set(data) - set(PRODUCT_FIELDS)
    if unknown:
        raise ApplicationError(LoanErrors.INVALID, _("Kolom tidak dikenal: %s") % sorted(unknown))
    obj = product or LoanProduct()
    before = {f: str(getattr(obj, f)) for f in PRODUCT_FIELDS} if product else {}
    for k, v in data.items():
        setattr(obj, k, v)
    ranges = product_range_errors(
        min_amount=obj.min_amount,
        max_amount=obj.max_amount,
        min_tenor=obj.min_tenor,
        max_tenor=obj.max_tenor,
    )
    if ranges:
        raise ApplicationError(
            LoanErrors.INVALID,
            next(iter(ranges.values())),
            fields={k: [v] for k, v in ranges.items()},
        )
    try:
        obj.full_clean()
    except Exception as exc:
        fields = getattr(exc, "message_dict", {})
        raise ApplicationError(LoanErrors.INVALID, _("Data produk tidak valid."), fields=fields)
    if obj.max_amount < obj.min_amount or obj.max_tenor < obj.min_tenor:
        raise ApplicationError(
            LoanErrors.INVALID, _("Batas minimum tidak boleh melebihi batas maksimum.")
        )
    obj.save()
    changed = {f: str(getattr(obj, f)) for f in PRODUCT_FIELDS}
    audit_log(
        actor=by,
        action=LoanAudit.PRODUCT_UPDATE if product else LoanAudit.PRODUCT_CREATE,
        target=obj,
        data={k: v for k, v in changed.items() if before.get(k) != v},
    )
    return obj


# what ``loan_settings_update`` may change: the kolektibilitas scheme (four or five
# grades), its thresholds and PPAP rates, and the on-time instalments a restructured loan
# pays before its grade may improve
LOAN_SETTINGS_FIELDS = (
    "kolek_scheme",
    "lancar_max_days",
    "dpk_max_days",
    "kurang_lancar_max_days",
    "diragukan_max_days",
    "ppap_lancar",
    "ppap_dpk",
    "ppap_kurang_lancar",
    "ppap_diragukan",
    "ppap_macet",
    "restructure_probation_instalments",
)
_THRESHOLD_FIELDS = {
    S.Kolektibilitas.LANCAR: "lancar_max_days",
    S.Kolektibilitas.DPK: "dpk_max_days",
    S.Kolektibilitas.KURANG_LANCAR: "kurang_lancar_max_days",
    S.Kolektibilitas.DIRAGUKAN: "diragukan_max_days",
}


@transaction.atomic
def loan_settings_update(*, by, **data: Any) -> LoanSettings:
    """Kolektibilitas scheme, thresholds and PPAP rates, restructuring probation (admin).
    Switching the scheme without giving its thresholds and rates takes that scheme's
    defaults (five grades: 0 / 90 / 120 / 180 days, PPAP 0.5 / 5 / 15 / 50 / 100 %)."""
    _require_role(by, SETTINGS_ROLES, _("mengubah pengaturan pinjaman"))
    obj = LoanSettings.objects.select_for_update().get_or_create(id=1)[0]
    for k in data:
        if k not in LOAN_SETTINGS_FIELDS:
            raise ApplicationError(LoanErrors.INVALID, _("Kolom tidak dikenal: %s") % k)
    scheme = data.get("kolek_scheme", obj.kolek_scheme)
    if scheme not in {m.value for m in S.KolekScheme}:
        raise ApplicationError(
            LoanErrors.INVALID,
            _("Skema kolektibilitas tidak dikenal."),
            fields={"kolek_scheme": [_("Pilih empat atau lima golongan.")]},
        )
    if scheme != obj.kolek_scheme:
        thresholds, rates = S.SCHEME_DEFAULTS[S.KolekScheme(scheme)]
        grades = S.KOLEK_GRADES[S.KolekScheme(scheme)]
        for grade, days in zip(grades, thresholds, strict=False):
            setattr(obj, _THRESHOLD_FIELDS[grade], days)
        for grade, rate in rates.items():
            setattr(obj, f"ppap_{grade.value}", rate)
    for k, v in data.items():
        setattr(obj, k, v)
    t = obj.thresholds
    if not (t[0] >= 0 and all(a < b for a, b in zip(t, t[1:], strict=False))):
        raise ApplicationError(
            LoanErrors.INVALID,
            _("Batas hari kolektibilitas harus naik berurutan."),
            fields={
                f: [_("Harus naik berurutan.")]
                for f in (_THRESHOLD_FIELDS[g] for g in obj.grades[:-1])
            },
        )
    for k in (f"ppap_{g.value}" for g in S.KOLEK_ORDER):
        v = _money(getattr(obj, k), field=k)
        if not (0 <= v <= 100):
            raise ApplicationError(
                LoanErrors.INVALID, _("Tarif PPAP harus 0-100%."), fields={k: ["0-100"]}
            )
    try:
        probation = int(obj.restructure_probation_instalments)
    except (TypeError, ValueError):
        probation = 0
    if not 1 <= probation <= 36:
        raise ApplicationError(
            LoanErrors.INVALID,
            _("Jumlah angsuran tepat waktu untuk pinjaman restrukturisasi harus 1-36."),
            fields={"restructure_probation_instalments": ["1-36"]},
        )
    obj.save()
    audit_log(
        actor=by,
        action=LoanAudit.SETTINGS_UPDATE,
        target=obj,
        data={k: str(getattr(obj, k)) for k in LOAN_SETTINGS_FIELDS},
    )
    return obj
