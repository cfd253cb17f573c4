"""Loan products and the cooperative's loan settings."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.errors import ApplicationError

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
        action="loan.product.update" if product else "loan.product.create",
        target=obj,
        data={k: v for k, v in changed.items() if before.get(k) != v},
    )
    return obj


# what ``loan_settings_update`` may change (the arrears thresholds and PPAP rates)
LOAN_SETTINGS_FIELDS = (
    "lancar_max_days",
    "kurang_lancar_max_days",
    "diragukan_max_days",
    "ppap_lancar",
    "ppap_kurang_lancar",
    "ppap_diragukan",
    "ppap_macet",
)


@transaction.atomic
def loan_settings_update(*, by, **data: Any) -> LoanSettings:
    """Kolektibilitas thresholds and PPAP rates (admin)."""
    _require_role(by, SETTINGS_ROLES, _("mengubah pengaturan pinjaman"))
    obj = LoanSettings.objects.select_for_update().get_or_create(id=1)[0]
    for k, v in data.items():
        if k not in LOAN_SETTINGS_FIELDS:
            raise ApplicationError(LoanErrors.INVALID, _("Kolom tidak dikenal: %s") % k)
        setattr(obj, k, v)
    t = obj.thresholds
    if not (0 <= t[0] < t[1] < t[2]):
        raise ApplicationError(
            LoanErrors.INVALID, _("Batas hari kolektibilitas harus naik berurutan.")
        )
    for k in ("ppap_lancar", "ppap_kurang_lancar", "ppap_diragukan", "ppap_macet"):
        v = _money(getattr(obj, k), field=k)
        if not (0 <= v <= 100):
            raise ApplicationError(
                LoanErrors.INVALID, _("Tarif PPAP harus 0-100%."), fields={k: ["0-100"]}
            )
    obj.save()
    audit_log(
        actor=by,
        action="loan.settings.update",
        target=obj,
        data={k: str(v) for k, v in data.items()},
    )
    return obj
