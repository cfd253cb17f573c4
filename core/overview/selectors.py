"""One view of a member for staff: everything about them in a fixed number of queries
(no query per loan, per month or per year), so the page stays fast however long their
history is."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch, Q

from core.audit.models import AuditEvent
from core.deductions.models import DeductionLine
from core.deductions.selectors import line_not_asked_after_exit
from core.loans.models import Instalment, Loan
from core.loans.selectors import grades_as_of, loans_with_grade_dates
from core.members.models import Member
from core.savings.models import SavingsAccount
from core.yearend.models import MemberShare

ZERO = Decimal("0")
# audit rows shown on the page (the full list is the audit screen, filtered by target)
AUDIT_ROWS = 100


@dataclass
class LoanView:
    loan: Loan
    schedule: list[dict]
    next_due: dict | None
    documents: list


@dataclass
class MemberOverview:
    member: Member
    accounts: list[SavingsAccount]
    savings_total: Decimal
    loans: list[LoanView]
    loans_outstanding: Decimal
    deductions: list[dict]
    shu: list[MemberShare]
    documents: list
    heirs: list
    changes: list
    audit: list[AuditEvent]
    counts: dict = field(default_factory=dict)
    # the date the loans' grade column is headed with (``grades_as_of``)
    grades_on: date | None = None


def _schedule_rows(instalments) -> list[dict]:
    rows = []
    for i in instalments:
        due = i.principal + i.jasa
        paid = i.principal_paid + i.jasa_paid + i.jasa_waived
        rows.append(
            {
                "number": i.number,
                "due_date": i.due_date,
                "principal": i.principal,
                "jasa": i.jasa,
                "total": due,
                "paid": i.principal_paid + i.jasa_paid,
                "remaining": max(due - paid, ZERO),
                "settled": i.settled,
                "settled_on": i.settled_on,
            }
        )
    return rows


def member_overview(*, member_id: int) -> MemberOverview:
    """The member with savings (per account), loans (schedule, grade, documents), the
    payroll deductions per month (asked, cut, short), SHU per year, heirs, the field
    changes and the audit rows about them or their loans. Raises ``Member.DoesNotExist``."""
    member = Member.objects.select_related("agency", "user", "previous_member").get(pk=member_id)
    accounts = list(
        SavingsAccount.objects.filter(member=member)
        .select_related("product")
        .order_by("product_id", "opened_on")
    )
    loans = list(
        loans_with_grade_dates(Loan.objects.filter(member=member))
        .select_related("product", "topup_of")
        .prefetch_related(
            Prefetch(
                "instalments",
                queryset=Instalment.objects.filter(is_current=True).order_by("number"),
                to_attr="current_instalments",
            ),
            "documents",
        )
        .order_by("-applied_on", "-id")
    )
    loan_views = []
    documents = []
    for ln in loans:
        rows = _schedule_rows(ln.current_instalments)
        docs = list(ln.documents.all())
        documents.extend(docs)
        loan_views.append(
            LoanView(
                loan=ln,
                schedule=rows,
                next_due=next((r for r in rows if not r["settled"]), None)
                if ln.status == Loan.Status.DISBURSED
                else None,
                documents=docs,
            )
        )
    deductions = []
    for line in (
        DeductionLine.objects.filter(member=member)
        .select_related("run")
        .order_by("-run__year", "-run__month")
    ):
        deductions.append(
            {
                "period": date(line.run.year, line.run.month, 1),
                "run_id": line.run_id,
                "expected": line.total,
                "realized": line.realized,
                "shortfall": line.shortfall if line.realized is not None else None,
                "not_asked": line_not_asked_after_exit(line, member=member),
            }
        )
    shu = list(
        MemberShare.objects.filter(member=member)
        .select_related("year_end")
        .order_by("-year_end__year")
    )
    loan_ids = [str(ln.pk) for ln in loans]
    audit = list(
        AuditEvent.objects.filter(
            Q(target_type="members.member", target_id=str(member.pk))
            | Q(target_type="loans.loan", target_id__in=loan_ids)
        )
        .select_related("actor")
        .order_by("-created_at", "-id")[:AUDIT_ROWS]
    )
    heirs = list(member.heirs.all())
    changes = list(member.changes.select_related("changed_by").order_by("-changed_at")[:100])
    return MemberOverview(
        member=member,
        accounts=accounts,
        savings_total=sum((a.balance for a in accounts if a.status == "open"), ZERO),
        loans=loan_views,
        grades_on=grades_as_of(ln for ln in loans if ln.status == Loan.Status.DISBURSED),
        loans_outstanding=sum(
            (ln.principal_outstanding for ln in loans if ln.status == Loan.Status.DISBURSED), ZERO
        ),
        deductions=deductions,
        shu=shu,
        documents=documents,
        heirs=heirs,
        changes=changes,
        audit=audit,
        counts={
            "loans": len(loans),
            "deductions": len(deductions),
            "shu": len(shu),
            "documents": len(documents),
            "heirs": len(heirs),
            "history": len(changes) + len(audit),
        },
    )
