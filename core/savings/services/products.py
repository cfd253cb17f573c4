"""Savings products: created, their settings changed, wajib rates by grade from a date."""

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.errors import ApplicationError
from core.common.money import round_rupiah, to_decimal
from core.ledger.models import Account
from core.ledger.selectors import account_for_role
from core.savings.audit import SavingsAudit

from ..models import MAX_TERM_MONTHS, TERM_TOO_LONG, SavingsProduct, WajibRate
from .common import SavingsErrors, clean_amount

# --- product settings -------------------------------------------------------------------

PRODUCT_EDITABLE = (
    "name",
    "interest_auto",
    "amount",
    "amount_by_grade",
    "effective_from",
    "minimum_balance",
    "interest_enabled",
    "interest_rate_annual",
    "interest_basis",
    "tax_threshold",
    "tax_rate",
    "term_months",
    "payout_date",
    "early_penalty_type",
    "early_penalty_value",
    "is_active",
)


# a product's ledger control account by kind, unless another one is chosen at creation
PRODUCT_KIND_ROLES = {
    SavingsProduct.Kind.POKOK: "savings_pokok",
    SavingsProduct.Kind.WAJIB: "savings_wajib",
    SavingsProduct.Kind.SUKARELA: "savings_sukarela",
    SavingsProduct.Kind.BERJANGKA: "savings_berjangka",
}
# one product of each of these kinds per cooperative (a database constraint)
PRODUCT_SINGLE_KINDS = (SavingsProduct.Kind.POKOK, SavingsProduct.Kind.WAJIB)
PRODUCT_CODE_RE = re.compile(r"[A-Z0-9][A-Z0-9-]{0,29}")


def _product_errors(
    *, kind: str, changes: dict, current: SavingsProduct | None
) -> dict[str, list[str]]:
    """What is wrong with these settings for a product of ``kind`` (``current``: the
    product being changed; None for a new one, whose other settings are the defaults)."""

    def value(key):
        if key in changes:
            return changes[key]
        if current is not None:
            return getattr(current, key)
        return SavingsProduct._meta.get_field(key).get_default()

    errors: dict[str, list[str]] = {}

    def number(key):
        try:
            return to_decimal(value(key) or 0)
        except (InvalidOperation, TypeError, ValueError):
            errors[key] = [_("Harus berupa angka.")]
            return None

    if "name" in changes:
        name = (changes["name"] or "").strip()
        if not name or len(name) > 120:
            errors["name"] = [_("Wajib diisi, paling banyak 120 karakter.")]
    for key in ("amount", "minimum_balance", "tax_threshold"):
        v = number(key) if key in changes else None
        if v is not None and (v < 0 or v != round_rupiah(v)):
            errors[key] = [_("Harus rupiah utuh, tidak negatif.")]
    for key in ("interest_rate_annual", "tax_rate"):
        if key in changes and (v := number(key)) is not None and not 0 <= v <= 100:
            errors[key] = [_("Harus antara 0 dan 100 persen.")]
    if value("interest_basis") not in SavingsProduct.InterestBasis.values:
        errors["interest_basis"] = [_("Tidak valid.")]
    if value("amount_by_grade") and kind != SavingsProduct.Kind.WAJIB:
        errors["amount_by_grade"] = [_("Nominal menurut golongan hanya untuk simpanan wajib.")]
    if changes.get("term_months") is not None:
        try:
            term = int(changes["term_months"])
        except (TypeError, ValueError):
            errors["term_months"] = [_("Harus berupa angka.")]
        else:
            if term > MAX_TERM_MONTHS:
                errors["term_months"] = [TERM_TOO_LONG % {"limit_value": MAX_TERM_MONTHS}]
    if "early_penalty_type" in changes or "early_penalty_value" in changes:
        _penalty_errors(kind=kind, value=value, number=number, errors=errors)
    if kind == SavingsProduct.Kind.BERJANGKA and "term_months" not in errors:
        term = value("term_months")
        if not term or int(term) < 1:
            errors["term_months"] = [_("Simpanan berjangka perlu jangka (bulan).")]
        if "amount" not in errors and (v := number("amount")) is not None and v <= 0:
            errors["amount"] = [_("Setoran bulanan harus lebih dari nol.")]
    return errors


def _penalty_errors(*, kind: str, value, number, errors: dict) -> None:
    """The early-withdrawal penalty: none, a percentage (more than 0, at most 100) or a
    fixed amount (whole rupiah, more than 0); berjangka products only."""
    penalty_type = value("early_penalty_type")
    if penalty_type not in SavingsProduct.PenaltyType.values:
        errors["early_penalty_type"] = [_("Tidak valid.")]
        return
    if penalty_type == SavingsProduct.PenaltyType.NONE:
        return
    if kind != SavingsProduct.Kind.BERJANGKA:
        errors["early_penalty_type"] = [
            _("Denda pencairan dini hanya untuk simpanan berjangka / hari raya.")
        ]
        return
    v = number("early_penalty_value")
    if v is None:
        return
    if penalty_type == SavingsProduct.PenaltyType.PERCENT and not (0 < v <= 100):
        errors["early_penalty_value"] = [_("Persen harus lebih dari 0 dan paling banyak 100.")]
    elif penalty_type == SavingsProduct.PenaltyType.PERCENT and v != v.quantize(Decimal("0.01")):
        errors["early_penalty_value"] = [_("Paling banyak dua angka di belakang koma.")]
    elif penalty_type == SavingsProduct.PenaltyType.FIXED and (v <= 0 or v != round_rupiah(v)):
        errors["early_penalty_value"] = [_("Harus rupiah utuh, lebih dari nol.")]


def _penalty_normalized(settings: dict, current: SavingsProduct | None) -> None:
    """No penalty means a value of zero (the database insists)."""
    penalty_type = settings.get(
        "early_penalty_type", current.early_penalty_type if current else "none"
    )
    if penalty_type == SavingsProduct.PenaltyType.NONE and (
        "early_penalty_type" in settings or "early_penalty_value" in settings
    ):
        settings["early_penalty_value"] = Decimal(0)


@transaction.atomic
def savings_product_create(
    *, code: str, kind: str, by, account: Account | None = None, **settings
) -> SavingsProduct:
    """A new savings product, typically another purpose product (berjangka: Simpanan
    Pendidikan, Qurban, ...) or another sukarela product; ``settings`` are the fields of
    ``PRODUCT_EDITABLE`` (``name`` required). Its ledger control account is the chart's
    account for the kind unless ``account`` names another active, non-group liability
    account; products may share an account (the reconciliation adds them up). A
    cooperative has one pokok and one wajib product. Refused as a whole, with an error per
    field, when anything is wrong."""
    unknown = set(settings) - set(PRODUCT_EDITABLE)
    if unknown:
        raise ApplicationError(
            SavingsErrors.PRODUCT_INVALID,
            _("Kolom tidak dikenal: %(f)s") % {"f": ", ".join(sorted(unknown))},
        )
    errors: dict[str, list[str]] = {}
    code = (code or "").strip().upper()
    if not PRODUCT_CODE_RE.fullmatch(code):
        errors["code"] = [_("1-30 huruf besar, angka atau tanda hubung, diawali huruf atau angka.")]
    elif SavingsProduct.objects.filter(code=code).exists():
        errors["code"] = [_("Kode %(c)s sudah dipakai produk lain.") % {"c": code}]
    if kind not in SavingsProduct.Kind.values:
        errors["kind"] = [_("Jenis simpanan tidak valid.")]
    elif kind in PRODUCT_SINGLE_KINDS and SavingsProduct.objects.filter(kind=kind).exists():
        errors["kind"] = [
            _("Koperasi sudah punya produk %(k)s; ubah produk yang ada.")
            % {"k": SavingsProduct.Kind(kind).label}
        ]
    if not (settings.get("name") or "").strip():
        errors["name"] = [_("Wajib diisi.")]
    if kind in SavingsProduct.Kind.values:
        errors = _product_errors(kind=kind, changes=settings, current=None) | errors
        if account is None:
            try:
                account = account_for_role(PRODUCT_KIND_ROLES[kind])
            except ApplicationError as e:
                errors["account"] = [e.message]
    if account is not None and (
        account.type != Account.Type.LIABILITY or account.is_group or not account.is_active
    ):
        errors["account"] = [
            _("Akun %(a)s bukan akun kewajiban aktif yang dapat diposting.") % {"a": account}
        ]
    if errors:
        raise ApplicationError(
            SavingsErrors.PRODUCT_INVALID, next(iter(errors.values()))[0], fields=errors
        )
    settings["name"] = settings["name"].strip()
    _penalty_normalized(settings, None)
    try:
        with transaction.atomic():
            product = SavingsProduct.objects.create(
                code=code, kind=kind, account=account, **settings
            )
    except IntegrityError:  # a product with that code or kind was created meanwhile
        raise ApplicationError(
            SavingsErrors.PRODUCT_INVALID,
            _("Kode atau jenis produk baru saja dipakai; muat ulang dan coba lagi."),
        ) from None
    audit_log(
        actor=by,
        action=SavingsAudit.PRODUCT_CREATE,
        target=product,
        data={"code": code, "kind": kind, "account": account.code}
        | {k: str(v) for k, v in settings.items()},
    )
    return product


@transaction.atomic
def savings_product_update(*, product: SavingsProduct, by, **changes) -> SavingsProduct:
    """Change a product's settings (amounts, interest, tax, term). The kind and the ledger
    account are fixed once created (balances already sit in that account)."""
    unknown = set(changes) - set(PRODUCT_EDITABLE)
    if unknown:
        raise ApplicationError(
            SavingsErrors.AMOUNT,
            _("Kolom tidak boleh diubah: %(f)s") % {"f": ", ".join(sorted(unknown))},
        )
    product = SavingsProduct.objects.select_for_update().get(pk=product.pk)
    errors = _product_errors(kind=product.kind, changes=changes, current=product)
    if errors:
        raise ApplicationError(SavingsErrors.AMOUNT, next(iter(errors.values()))[0], fields=errors)
    _penalty_normalized(changes, product)
    old = {k: str(getattr(product, k)) for k in changes}
    for k, v in changes.items():
        setattr(product, k, v)
    product.save()
    audit_log(
        actor=by,
        action=SavingsAudit.PRODUCT_UPDATE,
        target=product,
        data={"old": old, "new": {k: str(v) for k, v in changes.items()}},
    )
    return product


@transaction.atomic
def wajib_rate_set(*, product: SavingsProduct, grade: str, amount, effective_from: date, by):
    """Set the monthly wajib for a grade group from a date (a new row; history is kept)."""
    if product.kind != SavingsProduct.Kind.WAJIB:
        raise ApplicationError(
            SavingsErrors.AMOUNT, _("Tarif golongan hanya untuk simpanan wajib.")
        )
    grade = (grade or "").strip().upper()
    if grade not in ("I", "II", "III", "IV", "PPPK"):
        raise ApplicationError(
            SavingsErrors.AMOUNT,
            _("Kelompok golongan harus I, II, III, IV atau PPPK."),
            fields={"grade": [_("Tidak valid.")]},
        )
    amount = clean_amount(amount)
    rate, _created = WajibRate.objects.update_or_create(
        product=product, grade=grade, effective_from=effective_from, defaults={"amount": amount}
    )
    audit_log(
        actor=by,
        action=SavingsAudit.WAJIB_RATE_SET,
        target=product,
        data={"grade": grade, "amount": str(amount), "from": effective_from.isoformat()},
    )
    return rate
