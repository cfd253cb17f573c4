"""Reads of the exit settlement."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, Sum

from core.loans.models import Loan
from core.members.models import Member
from core.savings.models import SavingsAccount


@dataclass(frozen=True)
class LeftOpen:
    """A member marked as left who still holds something open: their open savings
    accounts (how many, and the balance on them) and running loans (how many)."""

    member: Member
    savings: Decimal
    accounts: int
    loans: int


def members_left_open(*, limit: int | None = None) -> list[LeftOpen]:
    """Members marked as left (not active) who still hold an open savings account or a
    running loan — left outside the exit flow (existing data; the database refuses it
    now): what the exit screen settles with *Selesaikan rekening yang masih terbuka*.
    Oldest exit first. Two queries."""
    open_accounts = Q(savings_accounts__status=SavingsAccount.Status.OPEN)
    qs = (
        Member.objects.exclude(status=Member.Status.ACTIVE)
        .filter(
            Q(Exists(SavingsAccount.objects.filter(member=OuterRef("pk"), status="open")))
            | Q(Exists(Loan.objects.filter(member=OuterRef("pk"), status="disbursed")))
        )
        .annotate(
            open_balance=Sum("savings_accounts__balance", filter=open_accounts),
            open_accounts=Count("savings_accounts", filter=open_accounts, distinct=True),
        )
        .order_by("exit_date", "number")
    )
    members = list(qs[:limit] if limit else qs)
    loans = dict(
        Loan.objects.filter(member__in=[m.pk for m in members], status=Loan.Status.DISBURSED)
        .values_list("member")
        .annotate(n=Count("pk"))
    )
    return [
        LeftOpen(
            member=m,
            savings=m.open_balance or Decimal(0),
            accounts=m.open_accounts,
            loans=loans.get(m.pk, 0),
        )
        for m in members
    ]
