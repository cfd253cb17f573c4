"""Reads of the move-in: the reconciliation of the sub-ledgers brought in with the
control accounts of the opening trial balance, to the rupiah."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from core.audit.models import AuditEvent
from core.common.permissions import STAFF
from core.common.queries import exists_each_fixed
from core.ledger.models import Account, AccountRole, FiscalYear, JournalEntry, JournalLine
from core.ledger.selectors import account_for_role
from core.loans.models import JasaPaidBroughtIn
from core.members.models import Agency, Member, MemberImport
from core.savings.models import CapitalBalanceBroughtIn, SavingsProduct, SavingsTransaction
from core.users.models import User

from .capital import capital_summary, month_ends_before, months_text
from .contributions import source_ref
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


def move_in_member_imports(*, move_in: MoveIn) -> list[MemberImport]:
    """The member imports of the move-in's step 3: imported after it started (and, once
    undone, before its undo: those the undo removed, now "undone")."""
    qs = MemberImport.objects.defer("content", "rows").filter(
        imported_at__gte=move_in.created_at,
        status__in=(MemberImport.Status.IMPORTED, MemberImport.Status.UNDONE),
    )
    if move_in.undone_at:
        qs = qs.filter(imported_at__lte=move_in.undone_at)
    return list(qs.order_by("pk"))


def move_in_member_imports_off_cutover(*, move_in: MoveIn) -> list[MemberImport]:
    """The move-in's member imports still in the books whose opening date is not the
    cut-over: their savings would sit before the cut-over, or after it; go-live is
    refused while one stands."""
    return [
        b
        for b in move_in_member_imports(move_in=move_in)
        if b.status == MemberImport.Status.IMPORTED
        and b.journal_entry_id
        and b.opening_date != move_in.cutover_date
    ]


def move_in_shu_contributions(*, move_in: MoveIn) -> dict:
    """The jasa of the old books the move-in saved (step 4a, optional): per member
    (number, name, jasa), the count and total, the year, whether that year is closed
    (nothing may change then), and the jasa income of the opening trial balance (the
    same months in the ledger, to compare with)."""
    year = move_in.cutover_date.year
    saved = list(
        JasaPaidBroughtIn.objects.filter(source_ref=source_ref(move_in))
        .select_related("member")
        .order_by("member__number")
    )
    income = account_for_role("loan_interest_income")
    return {
        "year": year,
        "rows": saved,
        "members": len(saved),
        "total": sum((r.amount for r in saved), ZERO),
        "year_closed": FiscalYear.objects.filter(
            year=year, status=FiscalYear.Status.CLOSED
        ).exists(),
        "trial_balance_jasa_income": -trial_balance_amounts(move_in).get(income.code, ZERO)
        if move_in.opening_entry_id
        else None,
    }


def shu_contributions_template_rows(*, move_in: MoveIn | None) -> list[list]:
    """The jasa template's rows: every member who may have paid jasa in the cut-over's
    year before it (joined on or before the cut-over, not left before 1 January), with
    the jasa saved for them, else 0."""
    if move_in is None:
        return []
    year = move_in.cutover_date.year
    saved = dict(
        JasaPaidBroughtIn.objects.filter(source_ref=source_ref(move_in)).values_list(
            "member_id", "amount"
        )
    )
    members = (
        Member.objects.filter(join_date__lte=move_in.cutover_date)
        .filter(Q(exit_date__isnull=True) | Q(exit_date__gte=date(year, 1, 1)))
        .order_by("number")
        .values_list("pk", "number", "full_name")
    )
    return [[number, name, int(saved.get(pk, ZERO))] for pk, number, name in members]


def move_in_capital_balances(*, move_in: MoveIn) -> dict:
    """The capital month-ends of the old books the move-in saved (step 4b, optional):
    ``capital_summary`` of the saved rows (per month-end, members from the old books and
    members the year end will estimate), whether the year is closed, and the month-ends
    the step takes (none when the cut-over is in January)."""
    year = move_in.cutover_date.year
    fields = ("member_id", "member__number", "member__full_name", "month_end")
    saved = (
        CapitalBalanceBroughtIn.objects.filter(source_ref=source_ref(move_in))
        .order_by("member__number", "month_end")
        .values_list(*fields, "pokok", "wajib", "sukarela")
    )
    lines = [
        {
            "row": None,
            "member_id": mid,
            "member_number": number,
            "name": name,
            "month_end": end,
            "pokok": pokok,
            "wajib": wajib,
            "sukarela": sukarela,
        }
        for mid, number, name, end, pokok, wajib, sukarela in saved
    ]
    return {
        **capital_summary(move_in, lines),
        "year_closed": FiscalYear.objects.filter(
            year=year, status=FiscalYear.Status.CLOSED
        ).exists(),
        "month_ends": month_ends_before(move_in.cutover_date),
        "months_text": months_text(month_ends_before(move_in.cutover_date)),
    }


def capital_balances_template_rows(*, move_in: MoveIn | None) -> list[list]:
    """The capital template's rows: for every member who belonged at a month-end of the
    cut-over's year before the cut-over (joined on or before it, not left by then), one
    row per such month-end, with what was saved for it, else the amounts empty (a row
    left empty is left out, its month estimated)."""
    if move_in is None:
        return []
    ends = month_ends_before(move_in.cutover_date)
    if not ends:
        return []
    saved = {
        (r.member_id, r.month_end): r
        for r in CapitalBalanceBroughtIn.objects.filter(source_ref=source_ref(move_in))
    }
    members = (
        Member.objects.filter(Q(join_date__isnull=True) | Q(join_date__lte=ends[-1]))
        .filter(Q(exit_date__isnull=True) | Q(exit_date__gt=ends[0]))
        .order_by("number")
        .values_list("pk", "number", "full_name", "join_date", "exit_date")
    )
    out = []
    for pk, number, name, joined, left in members:
        for end in ends:
            if (joined is not None and joined > end) or (left is not None and left <= end):
                continue
            r = saved.get((pk, end))
            amounts = (
                [int(r.pokok), int(r.wajib), None if r.sukarela is None else int(r.sukarela)]
                if r
                else [None, None, None]
            )
            out.append([number, name, end.strftime("%Y-%m"), *amounts])
    return out


def template_rows(kind: str, *, move_in: MoveIn | None) -> list[list] | None:
    """The data rows a template is filled with (the members' lists of steps 4a and 4b,
    with what was saved); None for the templates that show examples."""
    if kind == "shu_contributions":
        return shu_contributions_template_rows(move_in=move_in)
    if kind == "capital_balances":
        return capital_balances_template_rows(move_in=move_in)
    return None


def move_in_reconciliation(*, move_in: MoveIn) -> dict:
    """Per control account: the trial balance's figure, the sub-ledger's (loans brought
    in: outstanding, PPAP, arrears jasa; savings per product as of the cut-over: the
    member import) and the difference; the member imports whose opening date is not the
    cut-over (``member_imports_off_cutover``: id, file name, opening date). ``agrees``
    when every difference is zero and there is no such import."""
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
    if "deferred_jasa_income" in roles:
        # deferred jasa belongs to loans restructured in Lumbung: none brought in has any,
        # so a balance here in the old books must be adjusted or explained like the rest
        checks.append(
            (roles["deferred_jasa_income"], _("Jasa ditangguhkan pinjaman"), ZERO, -1, n_loans)
        )
    if "shu_members_payable" in roles:
        # the old books' unpaid SHU: the trial balance brings it in as one figure naming
        # no member; the year end's *SHU belum dibayar dari pembukuan lama* assigns it to
        # the members (a line each). What still names no member is the difference.
        payable = roles["shu_members_payable"]
        unnamed = JournalLine.objects.filter(account_id=payable, member_id__isnull=True).aggregate(
            d=Sum("debit"), c=Sum("credit")
        )
        unassigned = (unnamed["c"] or ZERO) - (unnamed["d"] or ZERO)
        shu_adjusted = sum(
            (
                a.amount
                for a in MoveInAdjustment.objects.filter(move_in=move_in, account_id=payable)
            ),
            ZERO,
        )
        named = (
            JournalLine.objects.filter(account_id=payable, member_id__isnull=False)
            .values("member_id")
            .distinct()
            .count()
        )
        checks.append(
            (
                payable,
                _("SHU belum dibayar per anggota (pembukuan lama)"),
                -tb.get(accounts[payable].code, ZERO) + shu_adjusted - unassigned
                if payable in accounts
                else ZERO,
                -1,
                named,
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
    off_cutover = [
        {"id": b.pk, "file_name": b.file_name, "opening_date": b.opening_date.isoformat()}
        for b in move_in_member_imports_off_cutover(move_in=move_in)
    ]
    return {
        "cutover_date": move_in.cutover_date.isoformat(),
        "rows": rows,
        "member_imports_off_cutover": off_cutover,
        "agrees": not off_cutover and all(r["difference"] == "0" for r in rows),
    }


# --- a new cooperative's first page -----------------------------------------------------


@dataclass
class SetupStep:
    key: str
    title: str
    help: str
    done: bool
    links: list[tuple[str, str]]  # (label, url)


PRODUCT_ACTIONS = (
    "savings.product_create",
    "savings.product_update",
    "savings.wajib_rate_set",
    "loan.product.create",
    "loan.product.update",
)


def _links(*pairs: tuple[str, str]) -> list[tuple[str, str]]:
    out = []
    for label, name in pairs:
        try:
            out.append((label, reverse(name)))
        except NoReverseMatch:
            continue
    return out


def _setup_questions() -> tuple:
    """What ``setup_status`` asks, in order: constant filters only (see exists_each_fixed)."""
    staff = User.objects.filter(role__in=sorted(STAFF), is_active=True)
    return (
        MoveIn.objects.filter(opening_entry__isnull=False).exclude(status="undone"),
        JournalEntry.objects.filter(source=JournalEntry.Source.OPENING),
        Member.objects.all(),
        AuditEvent.objects.filter(action__in=PRODUCT_ACTIONS, actor__isnull=False),
        staff.order_by("pk")[1:2],  # more than one
        Agency.objects.filter(is_active=True),
        JournalEntry.objects.all(),
    )


def setup_status() -> tuple[list[SetupStep], bool]:
    """The setup checklist (below) and whether the cooperative is new (no member and
    nothing posted yet), read in ONE query (compiled once per process): the dashboard
    asks both on every visit."""
    (
        moved_in,
        opening_entry,
        has_members,
        products_reviewed,
        second_staff,
        has_agency,
        has_entries,
    ) = exists_each_fixed(_setup_questions)
    steps = [
        SetupStep(
            "opening",
            _("Isi saldo awal"),
            _("Neraca saldo pada tanggal mulai, lewat Pindah ke Lumbung atau jurnal saldo awal."),
            moved_in or opening_entry,
            _links(
                (_("Pindah ke Lumbung"), "onboarding:wizard"),
                (_("Jurnal saldo awal"), "ledger:journal_new"),
            ),
        ),
        SetupStep(
            "members",
            _("Impor anggota"),
            _(
                "Unggah daftar anggota (XLSX/CSV) beserta saldo simpanannya, atau tambah satu per satu."
            ),
            has_members,
            _links((_("Impor anggota"), "members:import"), (_("Anggota baru"), "members:create")),
        ),
        SetupStep(
            "products",
            _("Tinjau produk"),
            _("Periksa simpanan wajib, jasa dan biaya pinjaman sesuai AD/ART."),
            products_reviewed,
            _links(
                (_("Produk simpanan"), "savings:products"),
                (_("Produk pinjaman"), "loans:products"),
            ),
        ),
        SetupStep(
            "staff",
            _("Undang pengurus"),
            _("Beri ketua, bendahara, petugas dan pengawas login sendiri."),
            second_staff,
            _links((_("Undang pengguna"), "users:create")),
        ),
        SetupStep(
            "agencies",
            _("Atur instansi potong gaji"),
            _("Instansi tempat anggota bekerja dan bendahara gajinya."),
            has_agency,
            _links((_("Instansi"), "members:agencies")),
        ),
    ]
    return steps, not has_members and not has_entries


def setup_checklist() -> list[SetupStep]:
    """What a new cooperative does first, each step ticked from its data: opening
    balances posted (the move-in's opening entry or any ``opening`` journal entry),
    members in the registry, products reviewed (a person, not the seeding, created or
    changed one), a second staff login, a payroll agency."""
    return setup_status()[0]


def cooperative_is_new() -> bool:
    """No member and nothing posted yet: the dashboard's figures would all be zero."""
    return setup_status()[1]
