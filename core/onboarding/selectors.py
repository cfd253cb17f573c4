"""Reads of the move-in: the reconciliation of the sub-ledgers brought in with the
control accounts of the opening trial balance, to the rupiah."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from core.ledger.models import Account, AccountRole
from core.savings.models import SavingsProduct, SavingsTransaction

from .models import MoveIn, MoveInAdjustment, MoveInLoan

ZERO = Decimal("0")


def trial_balance_amounts(move_in: MoveIn) -> dict[str, Decimal]:
    """The trial balance as posted, per account code, signed debit − credit."""
    out: dict[str, Decimal] = {}
    for r in move_in.trial_balance_rows or []:
        code = r.get("account")
        if isinstance(code, dict):
            code = code.get("code")
        out[str(code)] = out.get(str(code), ZERO) + Decimal(r["debit"]) - Decimal(r["credit"])
    return out


def move_in_reconciliation(*, move_in: MoveIn) -> dict:
    """Per control account: the trial balance's figure, the sub-ledger's (loans brought
    in: outstanding, PPAP, arrears jasa; savings per product as of the cut-over: the
    member import) and the difference. ``agrees`` when every difference is zero."""
    move_in = MoveIn.objects.get(pk=move_in.pk)  # as saved (the steps write their own copy)
    tb = trial_balance_amounts(move_in)
    roles = dict(AccountRole.objects.values_list("key", "account_id"))
    accounts = {a.pk: a for a in Account.objects.all()}
    loans = MoveInLoan.objects.filter(move_in=move_in).aggregate(
        n=Count("id"),
        o=Sum("outstanding"),
        p=Sum("ppap"),
        j=Sum("arrears_jasa"),
    )
    n_loans = loans["n"] or 0
    checks: list[tuple[int, str, Decimal, int, int]] = []  # account, what, sub, sign, items
    if "loan_receivable" in roles:
        checks.append(
            (roles["loan_receivable"], _("Sisa pokok pinjaman"), loans["o"] or ZERO, 1, n_loans)
        )
    if "ppap_allowance" in roles:
        checks.append(
            (roles["ppap_allowance"], _("PPAP pinjaman"), loans["p"] or ZERO, -1, n_loans)
        )
    if "loan_interest_receivable" in roles:
        checks.append(
            (
                roles["loan_interest_receivable"],
                _("Tunggakan jasa pinjaman"),
                loans["j"] or ZERO,
                1,
                n_loans,
            )
        )
    per_account: dict[int, list] = {}
    for p in SavingsProduct.objects.all():
        agg = SavingsTransaction.objects.filter(
            account__product=p, on__lte=move_in.cutover_date
        ).aggregate(s=Sum("delta"), n=Count("account", distinct=True))
        entry = per_account.setdefault(p.account_id, [ZERO, 0, []])
        entry[0] += agg["s"] or ZERO
        entry[1] += agg["n"] or 0
        entry[2].append(p.name)
    for account_id, (total, n, names) in per_account.items():
        checks.append((account_id, _("Simpanan: %(p)s") % {"p": ", ".join(names)}, total, -1, n))
    adjustments: dict[int, list[MoveInAdjustment]] = {}
    for adj in MoveInAdjustment.objects.filter(move_in=move_in).select_related("offset_account"):
        adjustments.setdefault(adj.account_id, []).append(adj)
    rows = []
    for account_id, what, sub, sign, items in checks:
        acc = accounts.get(account_id)
        if acc is None:
            continue
        tb_amount = sign * tb.get(acc.code, ZERO) + ZERO
        adjs = adjustments.get(account_id, [])
        adjusted = sum((a.amount for a in adjs), ZERO)
        if tb_amount == 0 and sub == 0 and not adjs:
            continue
        rows.append(
            {
                "account": acc.code,
                "name": acc.name,
                "what": str(what),
                "trial_balance": str(tb_amount.quantize(Decimal("1"))),
                "adjustment": str(adjusted.quantize(Decimal("1"))),
                "subledger": str(sub.quantize(Decimal("1"))),
                "difference": str((sub - tb_amount - adjusted).quantize(Decimal("1"))),
                "items": items,
                "sign": sign,
                "adjustments": [
                    {
                        "id": a.pk,
                        "amount": str(a.amount.quantize(Decimal("1"))),
                        "offset_account": a.offset_account.code,
                        "explanation": a.explanation,
                        "document": a.document.url if a.document else "",
                        "entry": a.entry_id,
                    }
                    for a in adjs
                ],
            }
        )
    return {
        "cutover_date": move_in.cutover_date.isoformat(),
        "rows": rows,
        "agrees": all(r["difference"] == "0" for r in rows),
    }
