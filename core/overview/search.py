"""The search box in the top bar (staff): members by number, name, NIP or NIK; loans by
number; receipts by number. Every lookup is ``UPPER(col) LIKE '%…%'`` served by the
trigram indexes of migrations members 0005, loans 0009 and ledger 0014 (three characters
or more use the index). A cooperative's schema holds only its own rows, so nothing of
another cooperative can be found; the view lets staff only in."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Case, IntegerField, Q, Value, When
from django.urls import reverse

from core.common.dates import format_tanggal
from core.ledger.models import Receipt
from core.loans.models import Loan
from core.members.models import Member
from core.members.selectors import id_digits, name_contains
from core.savings.models import SavingsTransaction
from core.yearend.models import ShuPayout

LIMIT = 20
MAX_QUERY = 100


@dataclass
class Hit:
    title: str
    detail: str
    url: str


@dataclass
class SearchResult:
    q: str
    members: list[Hit] = field(default_factory=list)
    loans: list[Hit] = field(default_factory=list)
    receipts: list[Hit] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.members) + len(self.loans) + len(self.receipts)

    @property
    def only(self) -> Hit | None:
        """The single hit when there is exactly one (the view goes straight to it)."""
        hits = self.members + self.loans + self.receipts
        return hits[0] if len(hits) == 1 else None


def _members(q: str) -> list[Hit]:
    ids = id_digits(q)  # a NIP or NIK typed as printed, with spaces or dots
    exact = Q(number__iexact=q) | Q(nip=ids) | Q(nik=ids)
    prefix = Q(number__istartswith=q) | Q(nip__startswith=ids) | Q(nik__startswith=ids)
    rows = (
        Member.objects.filter(
            name_contains(q)  # any apostrophe finds any other
            | Q(number__icontains=q)
            | Q(nip__icontains=ids)
            | Q(nik__icontains=ids)
        )
        .select_related("agency")
        .annotate(
            rank=Case(
                When(exact, then=Value(0)),
                When(prefix, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        # a person's current membership before their old records (same NIP after re-joining)
        .annotate(
            left=Case(
                When(status=Member.Status.ACTIVE, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("rank", "left", "number")[:LIMIT]
    )
    return [
        Hit(
            title=f"{m.number} · {m.full_name}",
            detail=f"NIP {m.nip} · {m.agency.name} · {m.get_status_display()}",
            url=reverse("members:detail", args=[m.pk]),
        )
        for m in rows
    ]


def _loans(q: str) -> list[Hit]:
    rows = (
        Loan.objects.filter(number__icontains=q)
        .select_related("member", "product")
        .order_by("-id")[:LIMIT]
    )
    return [
        Hit(
            title=f"{ln.number} · {ln.member.full_name}",
            detail=f"{ln.product.name} · {ln.status_label}",
            url=reverse("loans:detail", args=[ln.pk]),
        )
        for ln in rows
    ]


def _receipt_url(r: Receipt, savings: dict, payouts: dict) -> str:
    ref = r.source_ref or ""
    if ref.startswith("loan-repayment:"):
        return reverse("loans:receipt", args=[int(ref.split(":")[1])])
    if ref.startswith("loan:") and ref.endswith(":disburse"):
        return reverse("loans:detail", args=[int(ref.split(":")[1])])
    if r.number in savings:
        return reverse("savings:receipt", args=[savings[r.number]])
    if r.number in payouts:
        return reverse("yearend:payout_receipt", args=[payouts[r.number]])
    return ""


def _receipts(q: str) -> list[Hit]:
    rows = list(Receipt.objects.filter(number__icontains=q).order_by("-issued_on", "-id")[:LIMIT])
    numbers = [r.number for r in rows]
    if q.upper() not in numbers:
        numbers.append(q.upper())  # savings receipts numbered before the ledger's series
    savings = dict(
        SavingsTransaction.objects.filter(receipt_number__in=numbers).values_list(
            "receipt_number", "pk"
        )
    )
    payouts = dict(
        ShuPayout.objects.filter(receipt_number__in=numbers).values_list("receipt_number", "pk")
    )
    hits = [
        Hit(
            title=r.number,
            detail=f"{r.get_kind_display()} · {format_tanggal(r.issued_on)}",
            url=_receipt_url(r, savings, payouts),
        )
        for r in rows
    ]
    if q.upper() in savings and not any(h.title == q.upper() for h in hits):
        hits.insert(0, Hit(q.upper(), "", reverse("savings:receipt", args=[savings[q.upper()]])))
    return hits


def search_everything(*, q: str) -> SearchResult:
    """Members, loans and receipts matching ``q`` (at most ``LIMIT`` of each)."""
    q = " ".join((q or "").split())[:MAX_QUERY]
    result = SearchResult(q=q)
    if not q:
        return result
    result.members = _members(q)
    result.loans = _loans(q)
    result.receipts = _receipts(q)
    return result
