"""The chart of accounts: accounts added and changed, account roles mapped, ledger
settings."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.errors import ApplicationError
from core.common.money import format_rupiah
from core.common.permissions import SETTINGS_ADMINS
from core.ledger.audit import LedgerAudit

from ..errors import LedgerErrors as E
from ..models import (
    Account,
    AccountRole,
    JournalLine,
    LedgerSettings,
)
from ..seeding import chart_seed, normal_side_for
from ..selectors import account_balance
from .common import _require

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
    audit_log(actor=by, action=LedgerAudit.ACCOUNT_CREATE, target=acc)
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
    """Rename, (de)activate, or change type of an account without postings. An account
    is deactivated only once its balance is zero (its balance moved elsewhere first)."""
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
        if not is_active and acc.is_active:
            balance = account_balance(account=acc)
            if balance:
                shown = format_rupiah(
                    balance, decimals=0 if balance == balance.to_integral() else 2
                )
                raise ApplicationError(
                    E.ACCOUNT_HAS_BALANCE,
                    _("Akun %(c)s masih bersaldo %(b)s; pindahkan saldonya dulu.")
                    % {"c": acc.code, "b": shown},
                    fields={"is_active": [_("Saldo akun belum nol.")]},
                )
        acc.is_active = is_active
    if is_cash is not None:
        acc.is_cash = is_cash
    if cash_flow is not None:
        acc.cash_flow = cash_flow
    acc.save()
    audit_log(
        actor=by,
        action=LedgerAudit.ACCOUNT_UPDATE,
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
    audit_log(actor=by, action=LedgerAudit.ACCOUNT_DELETE, target=account)
    Account.objects.filter(pk=account.pk).delete()


@transaction.atomic
def account_role_set(*, key: str, account: Account, by) -> AccountRole:
    if account.is_group or not account.is_active:
        raise ApplicationError(
            E.ACCOUNT_INVALID, _("Peran hanya dapat dipetakan ke akun aktif yang bukan kelompok.")
        )
    role, _created = AccountRole.objects.update_or_create(key=key, defaults={"account": account})
    audit_log(actor=by, action=LedgerAudit.ROLE_SET, target=role, data={"account": account.code})
    return role


@transaction.atomic
def ledger_settings_update(
    *, by, manual_entry_approval: bool | None = None, capital_savings_as: str | None = None
) -> LedgerSettings:
    """Change the cooperative's ledger settings. Switching simpanan pokok/wajib between
    equity and liability is allowed only while their accounts have no postings."""
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
        action=LedgerAudit.SETTINGS_UPDATE,
        target=row,
        data={
            "manual_entry_approval": row.manual_entry_approval,
            "capital_savings_as": row.capital_savings_as,
        },
    )
    return row
