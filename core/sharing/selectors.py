"""The figures a cooperative shares with its Dinas Koperasi, computed inside its own
schema from each app's selectors (ledger reports, loan collectibility, member counts,
savings). Aggregates only: no member's personal data ever leaves here.

Called by the public-side refresh task (``lumbung.dinas.refresh``) inside the tenant's
schema; nothing here knows about the public schema."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import Max, Q, Sum
from django.utils.translation import gettext as _

from core.audit.models import AuditEvent
from core.ledger.models import FiscalYear
from core.ledger.reports import balance_sheet, income_statement
from core.ledger.selectors import account_balance, account_for_role
from core.loans.selectors import collectibility_summary
from core.members.models import Member
from core.members.selectors import member_statistics
from core.savings.models import SavingsTransaction
from core.savings.selectors import savings_by_product
from core.users.selectors import staff_people
from core.yearend.selectors import last_rat, rat_held_on

from .models import DinasConsent

ZERO = Decimal(0)


def dinas_consent_get() -> DinasConsent:
    return DinasConsent.get()


def last_rat_fields(*, held_by: date | None = None) -> dict:
    """The RAT of the latest fiscal year recorded in Lumbung (the RAT screen, or the RAT
    date given when SHU was posted): its fiscal year and the day it was held; None for
    both when none is recorded (``held_by``: among those held by then)."""
    found = last_rat(held_by=held_by)
    return {
        "last_rat_year": found[0] if found else None,
        "last_rat_date": found[1] if found else None,
    }


def last_closed_year_shu() -> dict:
    """SHU (income − expense, closing entries excluded) of the last fiscal year closed in
    the ledger; 0 with a note when no year is closed yet."""
    fy = FiscalYear.objects.filter(status=FiscalYear.Status.CLOSED).order_by("-year").first()
    if fy is None:
        return {"year": None, "shu": ZERO, "note": _("Belum ada tahun buku yang ditutup.")}
    stmt = income_statement(
        date_from=date(fy.year, 1, 1), date_to=date(fy.year, 12, 31), compare=False
    )
    return {"year": fy.year, "shu": stmt["result"], "note": ""}


def last_activity():
    """The time of the last action by a person (staff or member) in the cooperative;
    Lumbung's own support look-ins do not count."""
    return (
        AuditEvent.objects.filter(actor__isnull=False)
        .exclude(action__startswith="support.")
        .aggregate(t=Max("created_at"))["t"]
    )


def cooperative_indicators(*, on: date) -> dict:
    """The month's indicators as of ``on``: members active/joined/left in the month,
    total assets, own capital, savings, loans outstanding, its non-performing part (the
    amount and the ratio) and the band, SHU of the last closed year, last RAT, last
    activity."""
    members = member_statistics(date_from=on.replace(day=1), date_to=on)
    bs = balance_sheet(as_of=on)
    loans = collectibility_summary()
    shu = last_closed_year_shu()
    return {
        "members_active": members["active"],
        "members_joined": members["joined"],
        "members_left": members["left"],
        "total_assets": bs["total_assets"],
        "own_capital": bs["total_equity"],
        "savings": sum((r["total"] for r in savings_by_product()), ZERO),
        "loans_outstanding": loans["total"],
        "npl_outstanding": loans["non_performing"],
        "npl_ratio": loans["npl_ratio"],
        "health_band": loans["band"],
        "shu_year": shu["year"],
        "shu_last_year": shu["shu"],
        "shu_note": shu["note"],
        **last_rat_fields(),
        "last_activity": last_activity(),
    }


def members_at(on: date) -> int:
    """Members on the register at the end of ``on`` (joined by then, not yet left)."""
    return (
        Member.objects.filter(join_date__lte=on)
        .filter(Q(exit_date__isnull=True) | Q(exit_date__gt=on))
        .count()
    )


def year_figures(*, year: int, today: date) -> dict:
    """The yearly figures reported to the ministry's online data system, from the
    ledger and the registers: members at year end, own capital (equity), outside capital
    (liabilities), business volume (total income of the year), total assets, SHU of the
    year, RAT held and its date, staff. For the current year: up to ``today``."""
    end = min(date(year, 12, 31), today)
    bs = balance_sheet(as_of=end)
    stmt = income_statement(date_from=date(year, 1, 1), date_to=end, compare=False)
    rat_for_year = rat_held_on(year=year)
    return {
        "members": members_at(end),
        "own_capital": bs["total_equity"],
        "outside_capital": bs["total_liabilities"],
        "business_volume": stmt["total_income"],
        "total_assets": bs["total_assets"],
        "shu": stmt["result"],
        "rat_held": rat_for_year is not None,
        "rat_date": rat_for_year,
        "staff": staff_people().filter(is_active=True).count(),
        "complete": end == date(year, 12, 31),
    }


def _month_end(month: date) -> date:
    nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return date.fromordinal(nxt.toordinal() - 1)


def month_indicators_from_ledger(*, month: date) -> dict:
    """A past month's indicators rebuilt from the books as they stood at its end (the
    back-fill of the Dinas trend for months before the first refresh): members on the
    register, joined and left in the month; total assets and own capital (balance
    sheet); savings (the sub-ledger's movements up to then, which the daily check holds
    equal to the control accounts); loans outstanding (the loan receivable control
    account); the last RAT held by then. Kolektibilitas, NPL and last activity are not
    kept historically: NPL 0 with no band, never a guess."""
    start = month.replace(day=1)
    end = _month_end(start)
    bs = balance_sheet(as_of=end)
    savings = SavingsTransaction.objects.filter(on__lte=end).aggregate(t=Sum("delta"))["t"]
    return {
        "members_active": members_at(end),
        "members_joined": Member.objects.filter(join_date__range=(start, end)).count(),
        "members_left": Member.objects.filter(exit_date__range=(start, end)).count(),
        "total_assets": bs["total_assets"],
        "own_capital": bs["total_equity"],
        "savings": savings or ZERO,
        "loans_outstanding": account_balance(
            account=account_for_role("loan_receivable"), as_of=end
        ),
        "npl_ratio": ZERO,
        "health_band": "",
        "shu_year": None,
        "shu_last_year": ZERO,
        "shu_note": _("Dihitung ulang dari buku besar."),
        **last_rat_fields(held_by=end),
        "last_activity": None,
    }
