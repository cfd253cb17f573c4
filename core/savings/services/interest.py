"""Monthly jasa simpanan on the minimum or average balance, with income tax withheld
above the threshold: one journal entry per product and month."""

import calendar
import logging
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.errors import ApplicationError
from core.common.money import round_rupiah
from core.ledger.selectors import account_for_role
from core.ledger.services import LineSpec, journal_post
from core.savings.audit import SavingsAudit

from ..models import InterestRun, SavingsAccount, SavingsProduct, SavingsTransaction
from .accounts import savings_accounts_lock
from .apply import _write, transactions_link_entry
from .common import ZERO, SavingsErrors

log = logging.getLogger(__name__)

# --- interest (jasa simpanan) -----------------------------------------------------------


def interest_for_month(
    *,
    opening: Decimal,
    movements: list[tuple[date, Decimal]],
    year: int,
    month: int,
    basis: str,
    rate_annual: Decimal,
) -> tuple[Decimal, Decimal]:
    """Pure: (base balance, interest) for one account and month. ``movements`` are
    (date, signed delta) within the month. Basis ``minimum``: the lowest balance in the
    month (including the opening); ``average``: the average end-of-day balance.
    Interest = base × rate / 12, whole rupiah half-up."""
    days = calendar.monthrange(year, month)[1]
    by_day: dict[int, Decimal] = {}
    for d, delta in movements:
        by_day[d.day] = by_day.get(d.day, ZERO) + delta
    bal = opening
    lowest = opening
    total = ZERO
    for day in range(1, days + 1):
        if day in by_day:
            bal += by_day[day]
            lowest = min(lowest, bal)
        total += bal
    base = lowest if basis == SavingsProduct.InterestBasis.MINIMUM else total / days
    base = max(base, ZERO)
    interest = round_rupiah(base * Decimal(rate_annual) / Decimal(100) / Decimal(12))
    return base, interest


def tax_on_interest(*, interest: Decimal, threshold: Decimal, rate: Decimal) -> Decimal:
    """PPh on savings interest (PP 15/2009, final): when a MEMBER's interest for the month
    across all their accounts is above the threshold, the whole of it is taxed at ``rate``
    percent (whole rupiah). ``interest`` is that member total."""
    if interest <= threshold:
        return ZERO
    return round_rupiah(interest * Decimal(rate) / Decimal(100))


def tax_shares(tax: Decimal, interests: list[Decimal]) -> list[Decimal]:
    """Pure: a member's tax split over their accounts in proportion to each account's
    interest, whole rupiah, the last taking the remainder (the shares sum to ``tax``)."""
    total = sum(interests, ZERO)
    out: list[Decimal] = []
    left = tax
    for i, x in enumerate(interests):
        share = (
            left if i == len(interests) - 1 else round_rupiah(tax * x / total) if total else ZERO
        )
        share = min(share, left)
        out.append(share)
        left -= share
    return out


def _member_month_interest(*, member_ids, product, first: date, last: date):
    """Interest already credited, and PPh already withheld, in the month on the members'
    accounts of OTHER products (their own interest runs): {member: (gross, tax)}."""
    rows = (
        SavingsTransaction.objects.filter(
            account__member_id__in=list(member_ids),
            on__gte=first,
            on__lte=last,
            kind__in=[SavingsTransaction.Kind.INTEREST, SavingsTransaction.Kind.TAX],
            reversed_by__isnull=True,  # a reversed run's interest no longer counts
        )
        .exclude(account__product=product)
        .values("account__member_id")
        .annotate(
            g=Sum("amount", filter=Q(kind="interest"), default=ZERO),
            t=Sum("amount", filter=Q(kind="tax"), default=ZERO),
        )
    )
    return {r["account__member_id"]: (r["g"], r["t"]) for r in rows}


@transaction.atomic
def savings_interest_accrue(*, product: SavingsProduct, year: int, month: int, by):
    """Monthly jasa simpanan for every open account of an interest-bearing product:
    credits the net interest to each account (interest and tax as two movements) and posts
    ONE entry: Dr savings interest expense / Cr control account per member / Cr tax
    payable. Once per product and month (unique run + the ledger's source reference)."""
    if not product.interest_enabled or product.interest_rate_annual <= 0:
        raise ApplicationError(
            SavingsErrors.BAD_PERIOD, _("Produk %(p)s tidak berbunga.") % {"p": product.name}
        )
    if not (1 <= month <= 12):
        raise ApplicationError(SavingsErrors.BAD_PERIOD, _("Bulan tidak valid."))
    if date(year, month, calendar.monthrange(year, month)[1]) >= timezone.localdate():
        raise ApplicationError(
            SavingsErrors.BAD_PERIOD,
            _("Bulan %(m)02d/%(y)s belum selesai; jasa dihitung setelah akhir bulan.")
            % {"m": month, "y": year},
        )
    done = InterestRun.objects.filter(product=product, year=year, month=month)
    if done.filter(reversed_at__isnull=True).exists():
        raise ApplicationError(
            SavingsErrors.INTEREST_DONE,
            _("Jasa %(p)s bulan %(m)02d/%(y)s sudah dihitung.")
            % {"p": product.name, "m": month, "y": year},
        )
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    ids = SavingsAccount.objects.filter(product=product, status="open", opened_on__lte=last)
    accounts = savings_accounts_lock(ids.values_list("pk", flat=True))
    openings = dict(
        SavingsTransaction.objects.filter(account_id__in=list(accounts), on__lt=first)
        .values_list("account_id")
        .annotate(s=Sum("delta"))
        .values_list("account_id", "s")
    )
    moves: dict[int, list] = {}
    # a reversed run of this month is being replaced: its interest and tax (credited on
    # the month's last day) are not part of the month's balances
    replaced = Q(
        kind__in=[SavingsTransaction.Kind.INTEREST, SavingsTransaction.Kind.TAX],
        reversed_by__isnull=False,
    )
    for aid, on, delta in (
        SavingsTransaction.objects.filter(
            account_id__in=list(accounts), on__gte=first, on__lte=last
        )
        .exclude(replaced)
        .values_list("account_id", "on", "delta")
    ):
        moves.setdefault(aid, []).append((on, delta))
    interest_of: dict[int, Decimal] = {}
    for aid in accounts:
        _base, interest = interest_for_month(
            opening=openings.get(aid) or ZERO,
            movements=moves.get(aid, []),
            year=year,
            month=month,
            basis=product.interest_basis,
            rate_annual=product.interest_rate_annual,
        )
        if interest > 0:
            interest_of[aid] = interest
    # the threshold is per member and month across all their accounts: this product's
    # accounts together, plus what other products' runs of the month already credited
    # (and withheld); the member's tax is split over this run's accounts
    by_member: dict[int, list[int]] = {}
    for aid in interest_of:
        by_member.setdefault(accounts[aid].member_id, []).append(aid)
    earlier = _member_month_interest(member_ids=by_member, product=product, first=first, last=last)
    tax_of: dict[int, Decimal] = {}
    for mid, aids in by_member.items():
        g0, t0 = earlier.get(mid, (ZERO, ZERO))
        month_gross = g0 + sum((interest_of[a] for a in aids), ZERO)
        due = tax_on_interest(
            interest=month_gross, threshold=product.tax_threshold, rate=product.tax_rate
        )
        due = max(due - t0, ZERO)
        for aid, share in zip(aids, tax_shares(due, [interest_of[a] for a in aids]), strict=True):
            tax_of[aid] = share
    gross_total = tax_total = ZERO
    lines: list[LineSpec] = []
    txns = []
    n = 0
    for aid, acc in accounts.items():
        interest = interest_of.get(aid, ZERO)
        if interest <= 0:
            continue
        tax = tax_of[aid]
        txns.append(
            _write(
                account=acc,
                kind=SavingsTransaction.Kind.INTEREST,
                channel=SavingsTransaction.Channel.INTERNAL,
                amount=interest,
                delta=interest,
                on=last,
                by=by,
                memo=_("Jasa simpanan %(m)02d/%(y)s") % {"m": month, "y": year},
                receipt_number=None,
            )
        )
        if tax > 0:
            txns.append(
                _write(
                    account=acc,
                    kind=SavingsTransaction.Kind.TAX,
                    channel=SavingsTransaction.Channel.INTERNAL,
                    amount=tax,
                    delta=-tax,
                    on=last,
                    by=by,
                    memo=_("PPh jasa simpanan %(m)02d/%(y)s") % {"m": month, "y": year},
                    receipt_number=None,
                )
            )
        net = interest - tax  # below zero when the tax includes another product's interest
        if net != 0:
            lines.append(
                LineSpec(
                    account=product.account,
                    credit=max(net, ZERO),
                    debit=max(-net, ZERO),
                    member_id=acc.member_id,
                    memo=acc.number,
                )
            )
        gross_total += interest
        tax_total += tax
        n += 1
    entry = None
    if gross_total > 0:
        head = [LineSpec(account=account_for_role("savings_interest_expense"), debit=gross_total)]
        if tax_total > 0:
            lines.append(LineSpec(account=account_for_role("tax_payable"), credit=tax_total))
        entry = journal_post(
            on=last,
            description=_("Jasa simpanan %(p)s %(m)02d/%(y)s")
            % {"p": product.name, "m": month, "y": year},
            lines=head + lines,
            source="savings",
            # a month run again after its reversal: its own reference (:r1, :r2, ...)
            source_ref=f"interest:{product.pk}:{year}-{month:02d}"
            + (f":r{again}" if (again := done.count()) else ""),
            by=by,
        )
        transactions_link_entry(transactions=txns, entry=entry)
    run = InterestRun.objects.create(
        product=product,
        year=year,
        month=month,
        gross_interest=gross_total,
        tax=tax_total,
        accounts=n,
        journal_entry=entry,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    audit_log(
        actor=by,
        action=SavingsAudit.INTEREST_ACCRUE,
        target=product,
        data={"period": f"{year}-{month:02d}", "gross": str(gross_total), "tax": str(tax_total)},
    )
    return run


def savings_interest_auto_run(*, on: date) -> dict:
    """The month before ``on``'s jasa simpanan for every active product with interest and
    ``interest_auto``, each product in its own transaction; a month already accrued (by
    hand or by an earlier run) is skipped. A refusal (a closed period, an account not
    mapped) changes nothing for that product, is logged at ERROR and written to the audit
    log, and the other products go on."""
    previous = on.replace(day=1) - timedelta(days=1)
    year, month = previous.year, previous.month
    results = []
    for product in SavingsProduct.objects.filter(
        is_active=True, interest_enabled=True, interest_auto=True, interest_rate_annual__gt=0
    ).order_by("pk"):
        if InterestRun.objects.filter(product=product, year=year, month=month).exists():
            continue
        try:
            run = savings_interest_accrue(product=product, year=year, month=month, by="system")
        except ApplicationError as e:
            log.error(
                "Savings interest %s %04d-%02d refused in %s: %s",
                product.code,
                year,
                month,
                connection.schema_name,
                e.message,
                extra={"tenant": connection.schema_name, "alert": "savings_interest"},
            )
            with transaction.atomic():
                audit_log(
                    actor="system",
                    action=SavingsAudit.INTEREST_AUTO_FAILED,
                    target=product,
                    reason=str(e.message),
                    data={"period": f"{year}-{month:02d}", "code": str(e.code)},
                )
            results.append({"product": product.code, "error": str(e.code)})
        else:
            results.append(
                {
                    "product": product.code,
                    "accounts": run.accounts,
                    "gross": f"{run.gross_interest:.2f}",
                    "tax": f"{run.tax:.2f}",
                }
            )
    return {"period": f"{year}-{month:02d}", "runs": results}
