"""The savings a batch moves, against the dates it moves them on.

- Posting: a batch is dated on the day the agency's money came (``on``). Dated in a month
  whose jasa simpanan was already run for a product it credits (sukarela's excess, an
  interest-bearing purpose account; wajib when it earns jasa), it would put money into
  balances that month's jasa was paid on: refused by the savings module's one rule for
  back-dated movements (``interest_runs_through``, ``interest_run_through`` for several
  products at once), as the counter's cancellation and the SHU payout are. Checked on
  the savings the batch really credited (one query per batch, whatever its size) and,
  before the confirmation page, on what the preview says it will credit (a loan's
  over-payment by the loans batch's own split on that date).
- Reversal: a batch is reversed on its own date (the journal entry, the savings taken
  back, the loans' repayments: the ledger's bank line and the member's card then read as
  if the batch never was). Taking the credits back on that date must not leave any
  account below zero on any day since: money the batch credited, withdrawn and deposited
  again later, leaves today's balance whole but the card negative in between (and the
  jasa of those days wrong). Refused, naming each member, account, day and the movement
  that took it below zero: that money was paid out, so the batch stays and is corrected
  by a new entry dated today (a later-dated reversal would leave the ledger's bank line
  and the card's jasa days apart from the batch's).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from core.common.dates import add_months, format_bulan, format_tanggal
from core.common.errors import ApplicationError
from core.common.money import format_rupiah
from core.savings.models import SavingsAccount, SavingsProduct, SavingsTransaction
from core.savings.selectors import product_for_kind
from core.savings.services import interest_runs_through, running_balances_from

from ..models import DeductionImport
from .common import ZERO, E, posting_date_clean
from .loan_dates import LoanSplit, loans_split

# --- posting ------------------------------------------------------------------------------


def batch_interest_run_check(
    *, txns: Iterable[SavingsTransaction], accounts: dict[int, SavingsAccount], on: date
) -> None:
    """Refuse the batch when a savings credit it wrote (``txns``; ``accounts``: the
    locked accounts by id, read for their product) is dated ``on`` in or before the
    latest month whose jasa its product has run. Call inside the batch's transaction
    (raised, it rolls back: nothing written). One query for the whole batch."""
    products = set()
    for t in txns:
        if t.delta > 0:
            acc = accounts.get(t.account_id) or t.account
            products.add(acc.product_id)
    _refuse_if_run(products, on)


def plan_interest_run_check(
    *,
    imp: DeductionImport,
    plans: list,
    on: date | str | None,
    loans: dict[int, LoanSplit] | None = None,
) -> None:
    """Before the confirmation page: the same refusal for what the preview (``plans``)
    says the batch will credit (wajib, purpose accounts as far as they take it, and
    sukarela: the excess, what is redirected to it, and a loan's over-payment), on the
    date typed. A loan's over-payment (prepaid at the counter since the list: the loan
    asks less on ``on`` than its share) is the loans batch's own split on that date
    (``loans``: ``loans_split``, read here when not given), so the page refuses what the
    posting would. A date the posting refuses anyway is left to it."""
    try:
        on = posting_date_clean(imp.run, on)
    except ApplicationError:
        return
    products = set()
    kinds = []
    if any(p.paid["wajib"] > 0 for p in plans):
        kinds.append(SavingsProduct.Kind.WAJIB)
    if any(p.to_sukarela > 0 for p in plans) or any(
        a.excess > 0 for a in (loans_split(plans, on=on) if loans is None else loans).values()
    ):
        kinds.append(SavingsProduct.Kind.SUKARELA)
    for kind in kinds:
        product = product_for_kind(kind)
        if product is not None:
            products.add(product.pk)
    purpose = {acc for p in plans for acc, fit in p.purpose_fit.items() if fit > 0}
    if purpose:
        products |= set(
            SavingsAccount.objects.filter(pk__in=purpose).values_list("product_id", flat=True)
        )
    _refuse_if_run(products, on)


def _refuse_if_run(product_ids: set[int], on: date) -> None:
    runs = interest_runs_through(product_ids=product_ids, on=on)
    if not runs:
        return
    ordered = sorted(runs.values(), key=lambda r: (r.product.name, r.product_id))
    latest = max(runs.values(), key=lambda r: (r.year, r.month))
    after = add_months(date(latest.year, latest.month, 1), 1)
    named = "; ".join(
        _("%(p)s sampai bulan %(m)s") % {"p": r.product.name, "m": r.month_shown} for r in ordered
    )
    raise ApplicationError(
        E.INTEREST_RUN,
        _(
            "Tanggal uang diterima %(d)s jatuh di bulan yang jasa simpanannya sudah "
            "dihitung: %(runs)s. Batch ini mengkreditkan simpanan itu, sehingga jasa yang "
            "sudah dibayar menjadi salah. Bila uangnya memang diterima %(d)s, batalkan dulu jasa simpanan itu "
            "dari bulan terakhir mundur sampai bulan %(bm)s (Simpanan › "
            "Rekonsiliasi, Batalkan), posting batch ini, lalu hitung jasanya lagi; bila "
            "diterima kemudian, posting dengan tanggal %(a)s atau sesudahnya. Tidak ada "
            "yang diubah."
        )
        % {
            "d": format_tanggal(on),
            "runs": named,
            "bm": format_bulan(on),
            "a": format_tanggal(after),
        },
        fields={
            "on": [
                _("Jasa simpanan bulan ini sudah dihitung; paling awal %(a)s.")
                % {"a": format_tanggal(after)}
            ]
        },
    )


# --- reversal -----------------------------------------------------------------------------


def reversal_running_balance_check(
    *,
    originals: list[SavingsTransaction],
    locked: dict[int, SavingsAccount],
    on: date,
) -> None:
    """Refuse reversing a batch dated ``on`` when taking its credits (``originals``)
    back on that date leaves an account below zero after some movement since — on the
    card, in date then posting order, the reversal comes after every movement of ``on``
    — though today's balance covers it (``_savings_short`` refuses the rest first).
    ``locked``: the accounts, locked. Their running balances from ``on`` are savings'
    (``running_balances_from``, one query), as a single cancellation's check reads them."""
    credited: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for t in originals:
        credited[t.account_id] += t.amount
    # closed: refused as short (nothing of it left to take back)
    open_ = {a: locked[a] for a in credited if locked[a].status == SavingsAccount.Status.OPEN}
    found = []
    for acc_id, points in running_balances_from(accounts=open_, on=on).items():
        amount = credited[acc_id]
        # (day, the move that took it below zero) once the reversal is in
        first = next(
            (
                (day, None if kind is None else (kind, receipt))
                for day, kind, receipt, balance in points
                if balance - amount < 0
            ),
            None,
        )
        if first is not None:
            lowest = min(balance for *_x, balance in points) - amount
            found.append((open_[acc_id], amount, first, -lowest))
    if found:
        raise _running_balance_error(
            sorted(found, key=lambda x: (x[0].member.number, x[0].number)), on
        )


def _running_balance_error(found: list, on: date) -> ApplicationError:
    items = []
    for acc, amount, (day, move), short in found:
        args = {
            "m": acc.member.full_name,
            "no": acc.member.number,
            "p": acc.product.name,
            "n": acc.number,
            "a": format_rupiah(amount),
            "w": format_tanggal(day),
            "s": format_rupiah(short),
        }
        if move is None:
            items.append(
                _(
                    "%(m)s (%(no)s): %(p)s %(n)s di bawah nol pada %(w)s, paling rendah "
                    "minus %(s)s (batch mengkreditkan %(a)s)"
                )
                % args
            )
            continue
        kind, receipt = move
        args["t"] = " ".join(
            x for x in (str(SavingsTransaction.Kind(kind).label), receipt or "") if x
        )
        items.append(
            _(
                "%(m)s (%(no)s): %(p)s %(n)s di bawah nol sejak %(w)s (sesudah %(t)s), paling "
                "rendah minus %(s)s (batch mengkreditkan %(a)s)"
            )
            % args
        )
    return ApplicationError(
        E.REVERSAL_BALANCE_NEGATIVE,
        _(
            "Batch tidak dapat dibatalkan: pembatalan bertanggal sama dengan batch (%(d)s), "
            "dan simpanan yang dikreditkannya sudah ditarik sesudah itu dan baru diganti "
            "kemudian, sehingga kartu simpanan akan menunjukkan saldo di bawah nol di "
            "antaranya (dan jasa simpanan hari-hari itu salah). %(list)s. Biarkan batch ini "
            "dan koreksi dengan transaksi baru bertanggal hari ini. Tidak ada yang diubah."
        )
        % {"d": format_tanggal(on), "list": "; ".join(items)},
        status=409,
        fields={"members": items},
    )
