"""The preview of what each member's money pays, and one agency's batch posted in
one database transaction through the savings and loans batch services."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.batch import gc_paused, jit_off
from core.common.bulk import bulk_update_values
from core.common.errors import ApplicationError
from core.common.money import format_rupiah
from core.deductions.audit import DeductionAudit
from core.ledger.selectors import account_for_role
from core.ledger.services import LineSpec, journal_entry_id_reserve, journal_post
from core.loans.batch import loan_repayments_prepare_bulk, loans_batch_lock
from core.loans.models import Loan, Repayment
from core.loans.services import loan_repayments_attach_entry
from core.members.models import Agency, Member
from core.savings.batch import Deposit, savings_accounts_open_bulk, savings_deposits_apply_bulk
from core.savings.models import SavingsAccount, SavingsProduct, SavingsTransaction
from core.savings.selectors import product_for_kind
from core.savings.services import (
    berjangka_deposited_bulk,
    savings_accounts_lock,
    savings_accounts_lock_where,
    transactions_link_entry,
)

from .. import allocation as A
from ..import_messages import Said
from ..models import DeductionImport, DeductionLine, DeductionRun
from .common import ZERO, E, _require, _user, deduction_settings_get, posting_date_clean
from .imports import (
    _check_agency_open,
    agency_posted,
    deduction_import_loan_dates_mark,
    deduction_import_members_recheck,
    inactive_member_rows,
)
from .loan_dates import (
    closed_loans,
    date_errors_only,
    errors_with_loan_dates,
    loan_date_refusal,
    loan_date_row_errors,
    loan_payments,
    loans_paid,
    loans_split,
)
from .runs import wajib_room
from .savings_dates import batch_interest_run_check, plan_interest_run_check

# --- preview and posting ---------------------------------------------------------------


# why a loan's or a purpose account's share went to sukarela (``Redirect.why``, and
# ``why`` in a posted line's ``paid_detail``)
WHY_CLOSED = "closed"  # the loan paid off, the purpose account closed, since the list
WHY_FULL = "full"  # the purpose account (berjangka) reached its target since the list
WHY_EXCESS = "excess"  # posted: more than the loan still asked (its repayment's excess)
# the wajib arrears the list carried were paid since by another batch (an earlier
# month's batch reversed and posted again in full after the list was made)
WHY_PAID = "paid"


@dataclass
class Redirect:
    """Money the allocation gave a loan or a purpose account that goes to the member's
    sukarela instead: the loan was closed (paid off at the counter) or the account no
    longer takes it (full, or closed) since the list was made; once posted also a
    loan's share beyond what it still asked (``WHY_EXCESS``)."""

    kind: str  # "loan" | "purpose" | "wajib"
    ref_id: int  # the loan's or the savings account's id (wajib: the member's)
    number: str
    amount: Decimal
    jasa: Decimal = ZERO  # a loan's part of ``amount`` the allocation called jasa
    principal: Decimal = ZERO
    # WHY_*; "" on a line posted before its ``paid_detail`` recorded why
    why: str = WHY_CLOSED

    @property
    def text(self) -> str:
        if self.kind == "wajib":
            msg = _("Tunggakan simpanan wajib sudah dibayar: %(a)s masuk sukarela")
        elif self.kind == "loan":
            msg = {
                WHY_CLOSED: _("Pinjaman %(n)s sudah lunas: %(a)s masuk sukarela"),
                WHY_EXCESS: _("Pinjaman %(n)s: %(a)s melebihi tagihannya, masuk sukarela"),
            }.get(self.why) or _("Pinjaman %(n)s: %(a)s masuk sukarela")
        else:
            msg = {
                WHY_CLOSED: _("Simpanan %(n)s sudah ditutup: %(a)s masuk sukarela"),
                WHY_FULL: _("Simpanan %(n)s sudah penuh: %(a)s masuk sukarela"),
            }.get(self.why) or _("Simpanan %(n)s: %(a)s masuk sukarela")
        return msg % {"n": self.number, "a": format_rupiah(self.amount)}


@dataclass
class MemberPlan:
    line: DeductionLine
    realized: Decimal
    alloc: A.Allocation
    in_file: bool = True
    notes: list[str] = field(default_factory=list)
    # what goes to sukarela instead of where the allocation put it: not yet posted, what
    # will (``_redirects_mark``); posted, what did (``_posted_redirects``)
    redirects: list[Redirect] = field(default_factory=list)
    purpose_fit: dict[int, Decimal] = field(default_factory=dict)  # account -> takes
    # posted: ``alloc`` holds what the batch recorded, redirected money already moved
    # out of its components and counted in its excess (the line's ``to_sukarela``)
    posted: bool = False

    @property
    def redirected(self) -> Decimal:
        return sum((r.amount for r in self.redirects), ZERO)

    @property
    def paid(self) -> dict[str, Decimal]:
        """What each component will really get: the allocation less what is redirected."""
        paid = dict(self.alloc.paid)
        if self.posted:
            return paid
        for r in self.redirects:
            if r.kind == "loan":
                paid["jasa"] -= r.jasa
                paid["principal"] -= r.principal
            elif r.kind == "wajib":
                paid["wajib"] -= r.amount
            else:
                paid["others"] -= r.amount
        return paid

    @property
    def to_sukarela(self) -> Decimal:
        """The allocation's excess and what is redirected."""
        if self.posted:
            return self.alloc.excess
        return self.alloc.excess + self.redirected


def _amounts(imp: DeductionImport) -> dict[int, Decimal]:
    excluded = set(imp.excluded_rows)
    return {r["line_id"]: Decimal(r["amount"]) for r in imp.rows if r["row"] not in excluded}


@gc_paused
def deduction_import_plan(imp: DeductionImport, lines=None) -> list[MemberPlan]:
    """The preview: what each member's realized money pays (members of the agency missing
    from the file count as not deducted). The garbage collector is paused while it builds
    a big agency's tens of thousands of objects (``gc_paused``)."""
    prio = deduction_settings_get().priority_list
    amounts = _amounts(imp)
    if lines is None:
        lines = DeductionLine.objects.filter(run_id=imp.run_id, agency_id=imp.agency_id).order_by(
            "member_number"
        )
    plans = []
    for ln in lines:
        realized = amounts.get(ln.pk, ZERO)
        if _is_posted(ln, imp):
            # posted: what the batch recorded (where the money actually went), not the
            # allocation run again
            plans.append(
                MemberPlan(
                    line=ln,
                    realized=ln.realized,
                    alloc=_posted_alloc(ln),
                    in_file=ln.pk in amounts,
                    redirects=_posted_redirects(ln),
                    posted=True,
                )
            )
            continue
        alloc = A.allocate_line(ln, realized, prio)
        plans.append(MemberPlan(line=ln, realized=realized, alloc=alloc, in_file=ln.pk in amounts))
    _redirects_mark([p for p in plans if not _is_posted(p.line, imp)], run=imp.run)
    return plans


@dataclass
class PostingPreview:
    """What posting an import on ``on`` will record, read before it is posted (the
    confirmation page; ``post_check`` in the API): the plans, and each loan's share split
    as the loans batch will split it on that date (``loans_split``): the penalty, jasa
    and principal the loan still asks, and what it does not (prepaid at the counter
    since the list) credited to the member's sukarela. ``on`` None (a date the posting
    refuses): the allocation's figures, penalty counted in jasa."""

    on: date | None
    plans: list[MemberPlan]
    loans: dict = field(default_factory=dict)  # loan id -> loans.schedules.Allocation
    excluded_rows: int = 0

    def overpaid(self) -> list[tuple[MemberPlan, Redirect]]:
        """Each loan's over-payment to sukarela on ``on``, with its member's plan."""
        out = []
        for p in self.plans:
            for x in p.line.loans:
                split = self.loans.get(int(x["loan_id"]))
                if split is not None and split.excess > 0:
                    out.append(
                        (
                            p,
                            Redirect(
                                kind="loan",
                                ref_id=int(x["loan_id"]),
                                number=x.get("number", ""),
                                amount=split.excess,
                                why=WHY_EXCESS,
                            ),
                        )
                    )
        return out

    def figures(self) -> dict:
        """The batch's totals by destination, what the list asked, and the difference:
        penalty + jasa + principal + wajib + others + to_sukarela = realized."""
        plans = self.plans
        f = dict.fromkeys(
            ("penalty", "jasa", "principal", "loans_to_sukarela", "wajib", "others"), ZERO
        )
        for p in plans:
            paid = set(loans_paid(p.line, p.alloc, closed=closed_loans(p)))
            for x, (j, pr) in zip(p.line.loans, p.alloc.loans, strict=True):
                loan_id = int(x["loan_id"])
                if loan_id not in paid:
                    continue
                split = self.loans.get(loan_id)
                if split is None:  # no date: the allocation's split (penalty in jasa)
                    f["jasa"] += j
                    f["principal"] += pr
                    continue
                f["penalty"] += split.penalty
                f["jasa"] += split.jasa
                f["principal"] += split.principal
                f["loans_to_sukarela"] += split.excess
            f["wajib"] += p.paid["wajib"]
            f["others"] += p.paid["others"]
        asked = sum((p.line.total for p in plans), ZERO)
        realized = sum((p.realized for p in plans), ZERO)
        redirected = [p for p in plans if p.redirected > 0]
        return {
            **f,
            "to_sukarela": sum((p.to_sukarela for p in plans), ZERO) + f["loans_to_sukarela"],
            "redirected": sum((p.redirected for p in redirected), ZERO),
            "redirected_members": len(redirected),
            "overpaid_loans": sum(1 for _p, _r in self.overpaid()),
            "realized": realized,
            "asked": asked,
            # what the bank receives less what the list asked (negative: cut short)
            "difference": realized - asked,
            "shortfall": sum((p.alloc.shortfall for p in plans), ZERO),
            "short_members": sum(1 for p in plans if p.alloc.shortfall > 0),
            "members": len(plans),
            "not_in_file": sum(1 for p in plans if not p.in_file),
            "excluded_rows": self.excluded_rows,
        }


@gc_paused
def deduction_import_post_preview(
    *, imp: DeductionImport, on: date | None, plans: list[MemberPlan] | None = None
) -> PostingPreview:
    """Read: what posting ``imp`` on ``on`` (a date ``posting_date_clean`` accepted; None:
    undated) will record, before it is posted. ``plans``: ``deduction_import_plan(imp)``
    when the caller has them. Its refusals are the posting's own, asked apart:
    ``plan_interest_run_check(..., loans=preview.loans)``."""
    plans = deduction_import_plan(imp) if plans is None else plans
    return PostingPreview(
        on=on,
        plans=plans,
        loans=loans_split(plans, on=on) if on is not None else {},
        # rows set aside (an unknown member's row too, which has no line)
        excluded_rows=len(set(imp.excluded_rows)),
    )


def deduction_import_post_check(*, imp: DeductionImport, preview: PostingPreview) -> None:
    """Read: the refusals posting ``imp`` on ``preview.on`` (a date ``posting_date_clean``
    accepted) meets before it writes anything, raised as the posting raises them, so a
    confirmation page refuses the date instead of showing figures the posting will not
    record: rows paying a loan too early for that date (``loan_dates``; not marked here,
    the posting marks them), then a month whose jasa simpanan was run for what the batch
    credits (``plan_interest_run_check``)."""
    too_early = _loan_date_rows(imp, preview.plans, on=preview.on, loans=None)
    if too_early:
        raise loan_date_refusal(too_early, on=preview.on, marked=False)
    plan_interest_run_check(imp=imp, plans=preview.plans, on=preview.on, loans=preview.loans)


def _is_posted(ln: DeductionLine, imp: DeductionImport) -> bool:
    return ln.realized is not None and ln.posted_import_id == imp.pk


def _redirects_mark(plans: list[MemberPlan], *, run: DeductionRun) -> None:
    """Mark on each plan what the posting will send to sukarela instead: a loan's share
    when the loan is no longer running (closed since the list was made), and what a
    purpose account does not take: nothing when no longer open, a berjangka account
    filled since the list (a deposit at the counter) only what is left of its term (the
    rule of the savings deposit); and wajib beyond what is still unpaid of the months
    (``wajib_room``: carried arrears paid since by another batch). The posting
    follows these marks, so the preview shows what will be posted."""
    loan_ids = {
        int(x["loan_id"])
        for p in plans
        for x, (j, pr) in zip(p.line.loans, p.alloc.loans, strict=True)
        if j + pr > 0
    }
    running = set(
        Loan.objects.filter(pk__any_of=loan_ids, status=Loan.Status.DISBURSED).values_list(
            "pk", flat=True
        )
    )
    pay = {
        int(x["account_id"]): amt
        for p in plans
        for x, amt in zip(p.line.purposes, p.alloc.purposes, strict=True)
        if amt > 0
    }
    fits: dict[int, tuple[Decimal, bool]] = {}
    capped = []  # (account, target): the balance alone would cap
    for acc in SavingsAccount.objects.filter(pk__in=list(pay)).select_related("product"):
        amount, product = pay[acc.pk], acc.product
        is_open = acc.status == SavingsAccount.Status.OPEN
        room = amount if is_open else ZERO
        if room and product.kind == SavingsProduct.Kind.BERJANGKA and product.term_months:
            target = (acc.monthly_amount or product.amount) * product.term_months
            if acc.balance + room > target:
                capped.append((acc, target))
        fits[acc.pk] = (room, not is_open)
    # the balance may hold jasa: only deposits count (one query for every such account)
    deposited = berjangka_deposited_bulk([acc for acc, _t in capped])
    for acc, target in capped:
        room, closed = fits[acc.pk]
        fits[acc.pk] = (min(room, max(target - deposited[acc.pk], ZERO)), closed)
    room_of = (
        wajib_room(run=run, agency_id=plans[0].line.agency_id)
        if any(p.alloc.paid["wajib"] > 0 for p in plans)
        else {}
    )
    for p in plans:
        room = room_of.get(p.line.member_id)  # None: never capped (``wajib_room``)
        over = p.alloc.paid["wajib"] - room if room is not None else ZERO
        if p.alloc.paid["wajib"] > 0 and over > 0:
            p.redirects.append(
                Redirect(
                    kind="wajib", ref_id=p.line.member_id, number="", amount=over, why=WHY_PAID
                )
            )
        for x, (j, pr) in zip(p.line.loans, p.alloc.loans, strict=True):
            if j + pr > 0 and int(x["loan_id"]) not in running:
                p.redirects.append(
                    Redirect(
                        kind="loan",
                        ref_id=int(x["loan_id"]),
                        number=x.get("number", ""),
                        amount=j + pr,
                        jasa=j,
                        principal=pr,
                    )
                )
        for x, amt in zip(p.line.purposes, p.alloc.purposes, strict=True):
            if amt <= 0:
                continue
            acc_id = int(x["account_id"])
            room, closed = fits.get(acc_id, (ZERO, True))
            p.purpose_fit[acc_id] = room
            if room < amt:
                p.redirects.append(
                    Redirect(
                        kind="purpose",
                        ref_id=acc_id,
                        number=x.get("number", ""),
                        amount=amt - room,
                        why=WHY_CLOSED if closed else WHY_FULL,
                    )
                )


def _posted_redirects(ln: DeductionLine) -> list[Redirect]:
    """What a posted line's batch sent to sukarela instead of a loan or a purpose
    account, and why, as it recorded it (``paid_detail``; no query)."""
    detail = ln.paid_detail or {}
    out = []
    for kind, id_key in (("loan", "loan_id"), ("purpose", "account_id")):
        for x in detail.get("loans" if kind == "loan" else "purposes", []):
            amount = Decimal(x.get("to_sukarela") or ZERO)
            if amount > 0:
                out.append(
                    Redirect(
                        kind=kind,
                        ref_id=int(x[id_key]),
                        number=x.get("number", ""),
                        amount=amount,
                        why=x.get("why", ""),
                    )
                )
    wajib = detail.get("wajib") or {}
    if Decimal(wajib.get("to_sukarela") or ZERO) > 0:
        out.append(
            Redirect(
                kind="wajib",
                ref_id=ln.member_id,
                number="",
                amount=Decimal(wajib["to_sukarela"]),
                why=wajib.get("why", ""),
            )
        )
    return out


def _posted_alloc(ln: DeductionLine) -> A.Allocation:
    """A posted line's recorded destinations in the allocation's shape."""
    detail = ln.paid_detail or {}
    paid_loans = {int(x["loan_id"]): x for x in detail.get("loans", [])}
    paid_purposes = {int(x["account_id"]): x for x in detail.get("purposes", [])}

    def loan_part(x):
        got = paid_loans.get(int(x["loan_id"]))
        if got is None:
            return (ZERO, ZERO)
        return (Decimal(got["penalty"]) + Decimal(got["jasa"]), Decimal(got["principal"]))

    return A.Allocation(
        paid={
            "jasa": ln.paid_jasa,
            "principal": ln.paid_principal,
            "wajib": ln.paid_wajib,
            "others": ln.paid_others,
        },
        excess=ln.to_sukarela,
        shortfall=ln.shortfall,
        loans=[loan_part(x) for x in ln.loans],
        purposes=[
            Decimal(paid_purposes[int(x["account_id"])]["paid"])
            if int(x["account_id"]) in paid_purposes
            else ZERO
            for x in ln.purposes
        ],
    )


def _members_hold(imp: DeductionImport) -> None:
    """Lock the members of ``imp``'s agency on its run FOR SHARE, in id order (one
    statement); they stay locked until the batch commits."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT m.id FROM members_member m WHERE m.id IN ("
            " SELECT l.member_id FROM deductions_deductionline l"
            " WHERE l.run_id = %s AND l.agency_id = %s)"
            " ORDER BY m.id FOR SHARE OF m",
            [imp.run_id, imp.agency_id],
        )


def _inject_failure_point(name: str) -> None:
    """Test hook: tests patch this to raise in the middle of posting."""


def deduction_import_post(
    *,
    imp: DeductionImport,
    by,
    on: date | str | None = None,
    nothing_deducted: bool = False,
) -> DeductionImport:
    """Post a valid import, dated ``on`` — the day the agency's money was received
    (default: the run's payday, see ``posting_date_clean``) — as ONE journal entry (Dr
    bank = realized total; Cr wajib, purpose savings, sukarela excess, loan
    jasa/penalty/receivable) with the sub-ledger movements through the savings and loans
    services, all in one transaction.

    An import that realizes nothing (every row 0: the agency deducted nothing this month)
    is refused unless ``nothing_deducted`` confirms it; confirmed, it is posted as a
    batch that books no money (no journal entry) and records every line as cut 0, so
    the month's dues are short and carried to the next list (``wajib_carried``;
    the loans' unpaid instalments stay due on their schedules).

    First the rows are checked again for members who left since the upload (an exit
    settled in between): those rows are marked as errors on the import, which is then
    "invalid" until they are excluded, and the posting is refused naming them."""
    _require(by, _("memposting potong gaji"))
    left = deduction_import_members_recheck(imp=imp, by=by)
    if left:
        raise _inactive_members_error(left)
    try:
        return _import_post(imp=imp, by=by, on=on, nothing_deducted=nothing_deducted)
    except _TooEarly as early:  # rolled back: mark the rows, then refuse naming them
        deduction_import_loan_dates_mark(imp=imp, found=early.found, on=early.on, by=by)
        raise loan_date_refusal(early.found, on=early.on) from None


class _TooEarly(Exception):
    """Rows of the batch pay loans that take no payment on its date (``loan_dates``)."""

    def __init__(self, found: list[dict], on: date) -> None:
        super().__init__("rows too early for their loans")
        self.found, self.on = found, on


@transaction.atomic
def deduction_agency_post_nothing(
    *, run: DeductionRun, agency: Agency, by, on: date | str | None = None
) -> DeductionImport:
    """Record, without a file, that ``agency`` deducted nothing for ``run`` (payroll
    failed, the treasurer sent no list back): an import of every member's line at 0,
    posted at once as a confirmed zero batch (see ``deduction_import_post``). Refused
    when the agency is already posted or has a file waiting (discard it first)."""
    _require(by, _("memposting potong gaji"))
    run = DeductionRun.objects.get(pk=run.pk)
    _check_agency_open(run, agency)
    if DeductionImport.objects.filter(
        run=run, agency=agency, status=DeductionImport.Status.VALID
    ).exists():
        raise ApplicationError(
            E.WRONG_STATUS,
            _(
                "%(a)s sudah punya file realisasi yang siap diposting; posting atau buang "
                "file itu dulu."
            )
            % {"a": agency.name},
            status=409,
        )
    lines = list(
        DeductionLine.objects.filter(run=run, agency=agency)
        .order_by("member_number")
        .values_list("pk", flat=True)
    )
    if not lines:
        raise ApplicationError(
            E.NOTHING_TO_POST,
            _("%(a)s tidak punya anggota di daftar %(m)s.")
            % {"a": agency.name, "m": run.month_shown},
        )
    try:
        with transaction.atomic():
            imp = _nothing_import_create(run=run, agency=agency, lines=lines, by=by)
    except IntegrityError:  # recorded (or posted) by someone else just now
        raise ApplicationError(
            E.ALREADY_POSTED,
            agency_posted(run, agency),
            status=409,
        ) from None
    return _import_post(imp=imp, by=by, on=on, nothing_deducted=True)


def _nothing_import_create(*, run: DeductionRun, agency: Agency, lines: list[int], by):
    return DeductionImport.objects.create(
        run=run,
        agency=agency,
        file_name=_("Tidak ada potongan (tanpa file)"),
        # one such record per run and agency while it stands (the file-once constraint)
        file_hash=hashlib.sha256(f"nothing:{run.pk}:{agency.pk}".encode()).hexdigest(),
        status=DeductionImport.Status.VALID,
        rows=[{"row": i, "line_id": pk, "amount": "0"} for i, pk in enumerate(lines, 1)],
        total_realized=ZERO,
        created_by=_user(by),
    )


def _inactive_members_error(rows: list[dict]) -> ApplicationError:
    return ApplicationError(
        E.MEMBER_INACTIVE,
        Said("post_members_inactive", {"rows": [e["row"] for e in rows]}),
        status=409,
        fields={"rows": [e["message"] for e in rows]},
    )


@gc_paused
@transaction.atomic
def _import_post(
    *, imp: DeductionImport, by, on: date | str | None, nothing_deducted: bool
) -> DeductionImport:
    jit_off()  # a batch's statements are not worth compiling (see jit_off)
    imp = _import_lock_postable(imp)
    # the batch's members held until commit (FOR SHARE): an exit of one of them (it locks
    # the member FOR UPDATE) waits for this batch; one that committed first is seen by
    # the check below
    _members_hold(imp)
    # an exit settled after the re-check above: refused by row, nothing written
    left = inactive_member_rows(imp)
    if left:
        raise _inactive_members_error(left)
    _inject_failure_point("after_member_check")
    on = posting_date_clean(imp.run, on)
    lines = list(
        DeductionLine.objects.select_for_update()
        .filter(run=imp.run, agency=imp.agency)
        .order_by("pk")
    )
    # another file of the same agency posted while this one waited for the lines' locks
    # (two people posting two files at once): its batch holds the lines; refused as
    # posted, nothing written (the one-posted constraint would otherwise end it as a
    # database error)
    if any(ln.posted_import_id is not None for ln in lines):
        raise ApplicationError(
            E.ALREADY_POSTED,
            agency_posted(imp.run, imp.agency),
            status=409,
        )
    plans = deduction_import_plan(imp, lines)
    total = _realized_total(plans, nothing_deducted=nothing_deducted)
    if total == 0:
        return _import_post_nothing(imp, plans, lines, on=on, by=by)
    batch = _Batch(
        imp=imp,
        on=on,
        by=by,
        plans=plans,
        wajib=product_for_kind(SavingsProduct.Kind.WAJIB),
        sukarela=product_for_kind(SavingsProduct.Kind.SUKARELA),
    )
    # a closed loan's instalment goes to sukarela (marked on the plans, as the preview
    # showed it): known before the accounts are opened, so a member's sukarela is opened
    # once, before the loans step (whose over-payments credit it too); likewise what a
    # purpose account no longer takes (filled at the counter since)
    loans = loan_payments(plans)
    batch.redirected = {p.line.member_id: p.redirected for p in plans if p.redirected > 0}
    batch.purpose_fit = {acc: fit for p in plans for acc, fit in p.purpose_fit.items()}
    _savings_accounts_open_and_lock(batch)
    # the loans locked (after the savings accounts, as always), read with their dates
    locked = loans_batch_lock([loan_id for loan_id, _amount in loans])
    # rows paying a loan that takes no payment on ``on`` (before its last reschedule, on
    # or before a move-in's cut-over): refused by row before the batch is written (the
    # accounts opened above roll back), from the dates the lock read (the loans batch
    # would refuse the first one only)
    too_early = _loan_date_rows(imp, plans, on=on, loans=locked)
    if too_early:
        raise _TooEarly(too_early, on)
    # the batch's journal entry id, so repayments and savings transactions are written
    # linked to it (checked at commit: the entry must then exist)
    batch.entry_id = journal_entry_id_reserve()
    _loans_repay(batch, loans, locked=locked)
    del locked  # what follows needs the repayments only (see _batch_release)
    _batch_release(batch, loans=True)
    _inject_failure_point("after_loans")
    _savings_deposit(batch, _deposits_owed(batch))
    batch_interest_run_check(txns=batch.txns, accounts=batch.locked, on=on)
    _batch_release(batch, accounts=True)
    _inject_failure_point("after_savings")
    # the lines and the import are written before the journal entry (its id is known):
    # the entry locks the year's number counter until commit, so what follows it is short
    _lines_record_paid(imp, plans, lines, actual=_destinations_actual(batch))
    _import_mark_posted(batch, total)
    # the lines and the plans are not needed from here: freed before the entry's lines
    # are built (an agency of 20,000 members held them through its 90,000 journal lines)
    members_paid = sum(1 for p in plans if p.realized > 0)
    del lines, plans
    batch.plans = []
    entry = _journal_post_batch(batch, total, members_paid=members_paid)
    # links what was not written linked (sukarela credits of a loan over-payment)
    transactions_link_entry(transactions=batch.txns, entry=entry)
    loan_repayments_attach_entry(drafts=batch.drafts, entry=entry)
    imp.entry = entry
    _inject_failure_point("after_journal")
    return imp


@dataclass
class _Batch:
    """What one agency's batch posting carries from step to step."""

    imp: DeductionImport
    on: date
    by: object
    plans: list[MemberPlan]
    wajib: SavingsProduct | None
    sukarela: SavingsProduct | None
    entry_id: int | None = None
    accounts: dict[tuple[int, int], int] = field(default_factory=dict)  # (member, product)
    locked: dict = field(default_factory=dict)  # account id -> locked SavingsAccount
    redirected: dict[int, Decimal] = field(default_factory=dict)  # member -> to sukarela
    purpose_fit: dict[int, Decimal] = field(default_factory=dict)  # purpose account -> takes
    drafts: list = field(default_factory=list)
    ledger_lines: list = field(default_factory=list)
    txns: list = field(default_factory=list)


def _batch_release(b: _Batch, *, loans: bool = False, accounts: bool = False) -> None:
    """Let go of the loans (after the loans step) and the savings accounts (after the
    deposits) the batch locked and read as models; the locks hold until commit. The
    steps after need only what was written: the repayments' and transactions' ids,
    amounts and links. An agency of 20,000 members kept its 30,000 loans and its
    members' accounts to the end, through its repayments and transactions (their cached ``loan``
    / ``account``): the worker's peak memory."""
    if loans:
        for d in b.drafts:
            d.repayment._state.fields_cache.pop("loan", None)
    if accounts:
        b.locked = {}
        for t in b.txns:
            t._state.fields_cache.pop("account", None)


def _import_lock_postable(imp: DeductionImport) -> DeductionImport:
    """Lock the import; refuse it when already posted, still with errors, or its agency's
    month closed."""
    imp = (
        DeductionImport.objects.select_for_update(of=("self",))
        .select_related("run", "agency")
        .get(pk=imp.pk)
    )
    if imp.status == DeductionImport.Status.POSTED:
        raise ApplicationError(E.ALREADY_POSTED, Said("post_already_posted"), status=409)
    # flagged only for the date last checked: the posting checks the rows again for its
    # own date (``_loan_date_rows``)
    if imp.status != DeductionImport.Status.VALID and not date_errors_only(imp):
        raise ApplicationError(
            E.FILE_INVALID,
            Said("post_file_has_errors"),
        )
    _check_agency_open(imp.run, imp.agency)
    return imp


def _realized_total(plans: list[MemberPlan], *, nothing_deducted: bool) -> Decimal:
    """The money the agency sent. None at all is posted only when confirmed
    (``nothing_deducted``); a confirmation with money in the file is refused."""
    total = sum((p.realized for p in plans), ZERO)
    if total <= 0 and not nothing_deducted:
        raise ApplicationError(
            E.NOTHING_TO_POST,
            Said("post_nothing_realized"),
            fields={"nothing_deducted": [_("Konfirmasi bahwa tidak ada yang dipotong.")]},
        )
    if total > 0 and nothing_deducted:
        raise ApplicationError(
            E.FILE_INVALID,
            _("File ini berisi potongan %(t)s; tidak dapat dicatat sebagai tidak ada potongan.")
            % {"t": format_rupiah(total)},
        )
    return total


def _import_post_nothing(
    imp: DeductionImport, plans: list[MemberPlan], lines, *, on: date, by
) -> DeductionImport:
    """The confirmed zero batch: no money, no journal entry; every line recorded as cut
    0 (so its dues are short, carried to the next list), the import posted, audited."""
    _lines_record_paid(imp, plans, lines)
    imp.status = DeductionImport.Status.POSTED
    imp.entry = None
    imp.posted_at = timezone.now()
    imp.total_realized = ZERO
    imp.posted_data = {
        **(imp.posted_data or {}),
        "nothing_deducted": True,
        "on": on.isoformat(),
        "savings_transactions": [],
        "repayments": [],
    }
    imp.save(update_fields=["status", "entry", "posted_at", "total_realized", "posted_data"])
    audit_log(
        actor=by,
        action=DeductionAudit.POST_NOTHING,
        target=imp,
        data={
            "run": imp.run.label,
            "agency": imp.agency.code,
            "members": len(plans),
            "asked": str(sum((p.line.total for p in plans), ZERO)),
            "on": on.isoformat(),
        },
    )
    return imp


def _savings_accounts_open_and_lock(b: _Batch) -> None:
    """Open the wajib and sukarela accounts the money goes to where a member has none
    (sukarela: the excess, and a closed loan's instalment redirected), then lock them
    with the purpose accounts."""
    wajib_p, sukarela_p = b.wajib, b.sukarela
    need_wajib = {p.line.member_id for p in b.plans if p.paid["wajib"] > 0}
    need_suk = {p.line.member_id for p in b.plans if p.alloc.excess > 0} | {
        m for m, amount in b.redirected.items() if amount > 0
    }
    products = [x.pk for x in (wajib_p, sukarela_p) if x]
    purpose_ids = {int(x["account_id"]) for p in b.plans for x in p.line.purposes}
    # the members' open wajib/sukarela accounts and the purpose accounts, found and
    # locked by one statement (pk order)
    b.locked = savings_accounts_lock_where(
        Q(member_id__in=need_wajib | need_suk, status="open", product_id__in=products)
        | Q(pk__in=purpose_ids)
    )
    existing = b.accounts
    for acc in b.locked.values():
        if acc.status == "open" and acc.product_id in products:
            existing[(acc.member_id, acc.product_id)] = acc.pk
    missing = [(m, wajib_p) for m in sorted(need_wajib) if (m, wajib_p.pk) not in existing] + [
        (m, sukarela_p) for m in sorted(need_suk) if (m, sukarela_p.pk) not in existing
    ]
    if missing:
        mem = Member.objects.in_bulk([m for m, _p in missing])
        opened = savings_accounts_open_bulk(
            opens=[(mem[m], prod) for m, prod in missing], on=b.on, by=b.by
        )
        for acc in opened:
            existing[(acc.member_id, acc.product_id)] = acc.pk
        # new in this transaction: no one else can see them, the lock only reads them
        b.locked.update(savings_accounts_lock([acc.pk for acc in opened]))


def _loan_date_rows(
    imp: DeductionImport, plans: list[MemberPlan], *, on: date, loans: dict[int, Loan] | None
) -> list[dict]:
    """The row errors of the plans whose money pays a loan too early for ``on``
    (``loans``: the batch's locked loans, their dates read by the lock; None: read)."""
    row_of = {r["line_id"]: r["row"] for r in imp.rows}
    paying = [
        (row_of[p.line.pk], ids)
        for p in plans
        if p.realized > 0
        and p.line.pk in row_of
        and (ids := loans_paid(p.line, p.alloc, closed=closed_loans(p)))
    ]
    return loan_date_row_errors(paying=paying, on=on, loans=loans) if paying else []


def _loans_repay(b: _Batch, items: list[tuple[int, Decimal]], *, locked: dict[int, Loan]) -> None:
    """Every loan's repayment in one set-based call (the rules of
    ``loan_repayment_prepare`` per loan), on the loans ``loans_batch_lock`` locked."""
    b.drafts = loan_repayments_prepare_bulk(
        items=items,
        on=b.on,
        channel=Repayment.Channel.PAYROLL,
        by=b.by,
        excess_to=Repayment.ExcessTo.SUKARELA,
        entry_id=b.entry_id,
        locked=locked,
    )
    for draft in b.drafts:
        b.ledger_lines += draft.lines
        b.txns += draft.savings_transactions
    # a loan over-payment credited a sukarela account already locked above: re-read it
    credited = {t.account_id for t in b.txns} & set(b.locked)
    if credited:
        b.locked.update(savings_accounts_lock(credited))


def _deposits_owed(b: _Batch) -> list[tuple]:
    """Each member's wajib, purpose savings, and what is left over (the excess and a
    closed loan's instalment) to sukarela, in the accounts opened and locked by
    ``_savings_accounts_open_and_lock`` (before the loans step: a loan over-payment of the
    same member credits the same account)."""
    label = b.imp.run.label
    memo = _("Potong gaji %(m)s") % {"m": label}
    excess_memo = _("Kelebihan potong gaji %(m)s") % {"m": label}
    existing, locked = b.accounts, b.locked
    deposits: list = []
    for p in b.plans:
        mid = p.line.member_id
        if p.paid["wajib"] > 0:
            deposits.append((locked[existing[(mid, b.wajib.pk)]], p.paid["wajib"], memo))
        for x, amt in zip(p.line.purposes, p.alloc.purposes, strict=True):
            amt = b.purpose_fit.get(int(x["account_id"]), ZERO) if amt > 0 else ZERO
            if amt > 0:
                deposits.append((locked[int(x["account_id"])], amt, memo))
        if p.alloc.excess > 0 or p.redirects:
            sukarela = locked[existing[(mid, b.sukarela.pk)]]
        if p.alloc.excess > 0:
            deposits.append((sukarela, p.alloc.excess, excess_memo))
        # what is redirected, each on its own transaction naming why (the member sees it)
        for r in p.redirects:
            if r.kind == "loan":
                why = _("Angsuran pinjaman %(n)s yang sudah lunas (potong gaji %(m)s)")
            elif r.kind == "wajib":
                why = _("Tunggakan simpanan wajib yang sudah dibayar (potong gaji %(m)s)")
            else:
                why = _("Setoran simpanan %(n)s yang tidak lagi diterima (potong gaji %(m)s)")
            deposits.append((sukarela, r.amount, why % {"n": r.number, "m": label}))
    return deposits


def _savings_deposit(b: _Batch, deposits: list[tuple]) -> None:
    """Every deposit in one set-based call (the rules of ``savings_deposit_apply`` each)."""
    applied = savings_deposits_apply_bulk(
        deposits=[
            Deposit(
                account=acc,
                amount=amt,
                channel=SavingsTransaction.Channel.PAYROLL,
                kind=SavingsTransaction.Kind.PAYROLL,
                memo=m,
            )
            for acc, amt, m in deposits
        ],
        on=b.on,
        by=b.by,
        locked=True,
        entry_id=b.entry_id,
    )
    for ap in applied:
        b.ledger_lines += ap.lines
        b.txns.append(ap.transaction)


@dataclass
class _Paid:
    """Where one member's realized money actually went (the rows the batch wrote)."""

    jasa: Decimal = ZERO  # penalty and early-payoff fee included
    principal: Decimal = ZERO
    wajib: Decimal = ZERO
    others: Decimal = ZERO
    to_sukarela: Decimal = ZERO
    detail: dict = field(default_factory=dict)


def _s(v: Decimal) -> str:
    return str(Decimal(v).quantize(Decimal("0.01")))


def _destinations_actual(b: _Batch) -> dict[int, _Paid]:
    """Per line pk, what the batch's repayments and deposits really paid: a loan's part
    as its repayment allocated it (penalty, jasa, principal; what it did not need went
    to sukarela as its excess), a closed loan's whole part to sukarela, a purpose
    account's part as far as it fitted (the rest to sukarela), wajib as allocated, and
    the allocation's excess to sukarela. The parts add up to the line's realized."""
    reps = {d.repayment.loan_id: d.repayment for d in b.drafts}
    out: dict[int, _Paid] = {}
    for p in b.plans:
        wajib_back = sum((r.amount for r in p.redirects if r.kind == "wajib"), ZERO)
        got = _Paid(
            wajib=p.alloc.paid["wajib"] - wajib_back, to_sukarela=p.alloc.excess + wajib_back
        )
        closed_accounts = {
            r.ref_id for r in p.redirects if r.kind == "purpose" and r.why == WHY_CLOSED
        }
        loans, purposes = [], []
        for x, (j, pr) in zip(p.line.loans, p.alloc.loans, strict=True):
            if j + pr <= 0:
                continue
            rep = reps.get(int(x["loan_id"]))
            if rep is None:  # closed since the list: all of it to sukarela
                pen, jasa, principal, suk = ZERO, ZERO, ZERO, j + pr
                why = WHY_CLOSED
            else:
                pen = rep.penalty + rep.early_payoff_fee
                jasa, principal, suk = rep.jasa, rep.principal, rep.excess
                why = WHY_EXCESS if suk > 0 else ""
            got.jasa += pen + jasa
            got.principal += principal
            got.to_sukarela += suk
            loans.append(
                {
                    "loan_id": int(x["loan_id"]),
                    "number": x.get("number", ""),
                    "penalty": _s(pen),
                    "jasa": _s(jasa),
                    "principal": _s(principal),
                    "to_sukarela": _s(suk),
                    **({"why": why} if why else {}),
                }
            )
        for x, amt in zip(p.line.purposes, p.alloc.purposes, strict=True):
            if amt <= 0:
                continue
            acc_id = int(x["account_id"])
            fit = b.purpose_fit.get(acc_id, ZERO)
            got.others += fit
            got.to_sukarela += amt - fit
            why = (WHY_CLOSED if acc_id in closed_accounts else WHY_FULL) if amt > fit else ""
            purposes.append(
                {
                    "account_id": acc_id,
                    "number": x.get("number", ""),
                    "paid": _s(fit),
                    "to_sukarela": _s(amt - fit),
                    **({"why": why} if why else {}),
                }
            )
        got.detail = {"loans": loans, "purposes": purposes}
        if wajib_back > 0:
            got.detail["wajib"] = {"to_sukarela": _s(wajib_back), "why": WHY_PAID}
        parts = got.jasa + got.principal + got.wajib + got.others + got.to_sukarela
        if parts != p.realized:  # a rupiah lost between the plan and the rows
            raise AssertionError(f"line {p.line.pk}: parts {parts} != realized {p.realized}")
        out[p.line.pk] = got
    return out


def _lines_record_paid(
    imp: DeductionImport, plans: list[MemberPlan], lines, *, actual: dict[int, _Paid] | None = None
) -> None:
    """Write on each member's line what was realized and where it actually went
    (``actual``; without it — the confirmed zero batch — the allocation, all zero)."""
    for p in plans:
        ln = p.line
        got = (actual or {}).get(ln.pk) or _Paid(
            jasa=p.alloc.paid["jasa"],
            principal=p.alloc.paid["principal"],
            wajib=p.alloc.paid["wajib"],
            others=p.alloc.paid["others"],
            to_sukarela=p.alloc.excess,
        )
        ln.realized = p.realized
        ln.paid_jasa = got.jasa
        ln.paid_principal = got.principal
        ln.paid_wajib = got.wajib
        ln.paid_others = got.others
        ln.to_sukarela = got.to_sukarela
        ln.paid_detail = got.detail
        ln.posted_import = imp
    bulk_update_values(
        DeductionLine,
        lines,
        [
            "realized",
            "paid_jasa",
            "paid_principal",
            "paid_wajib",
            "paid_others",
            "to_sukarela",
            "paid_detail",
            "posted_import",
        ],
    )


def _import_mark_posted(b: _Batch, total: Decimal) -> None:
    """Mark the import posted (with what it wrote, for a reversal) and audit it."""
    imp = b.imp
    imp.status = DeductionImport.Status.POSTED
    imp.entry_id = b.entry_id
    imp.posted_at = timezone.now()
    imp.total_realized = total
    imp.posted_data = {
        **(imp.posted_data or {}),
        "savings_transactions": [t.pk for t in b.txns],
        "repayments": [d.repayment.pk for d in b.drafts],
    }
    # the rows flagged for an earlier date were posted on this one, which their loans take
    imp.errors = errors_with_loan_dates(imp, [])
    imp.save(
        update_fields=["status", "entry", "posted_at", "total_realized", "posted_data", "errors"]
    )
    audit_log(
        actor=b.by,
        action=DeductionAudit.POST,
        target=imp,
        data={
            "run": imp.run.label,
            "agency": imp.agency.code,
            "total": str(total),
            "entry": b.entry_id,
            "members": len(b.plans),
            "on": b.on.isoformat(),
        },
    )


def _journal_post_batch(b: _Batch, total: Decimal, *, members_paid: int):
    """The batch's one journal entry: Dr bank the realized total, Cr what it paid
    (``members_paid``: the members with money realized)."""
    run, agency = b.imp.run, b.imp.agency
    return journal_post(
        on=b.on,
        description=_("Potong gaji %(m)s - %(a)s (%(n)s anggota)")
        % {"m": run.label, "a": agency.name, "n": members_paid},
        lines=[
            LineSpec(account=account_for_role("bank"), debit=total, memo=agency.code),
            *b.ledger_lines,
        ],
        source="deduction",
        source_ref=f"deduction:{run.pk}:{agency.pk}:{b.imp.pk}",
        by=b.by,
        entry_id=b.entry_id,
    )
