# Loans waived at a deceased member's exit before 0027 were written off in the exit
# settlement's entry with no write-off record: they were missing from the write-off
# register and could take no recovery. Each gets its record (route "exit") from what the
# settlement's entry moved for it (its lines carry the loan's number): principal credited
# to the loans receivable, jasa receivable credited, deferred jasa reversed, the
# allowance used and the PPAP expense. Dated the exit, the waiver's reason and the
# board's decision (a settlement that kept none says so), by whoever confirmed it. The
# schedule rows and grade before are not known any more (an exit's write-off is never
# reversed on its own, so nothing reads them); a deferred penalty is not told apart
# from the deferred jasa in the entry and is recorded as 0.

from collections import defaultdict
from decimal import Decimal

from django.db import migrations

ZERO = Decimal("0")
ROLES = (
    "loan_receivable",
    "loan_interest_receivable",
    "deferred_jasa_income",
    "ppap_allowance",
    "ppap_expense",
)
NO_DECISION = "(tidak dicatat)"
NO_REASON = "Dihapus pada penyelesaian keluar anggota"


def exit_write_offs_backfill(apps, schema_editor):
    ExitSettlement = apps.get_model("savings", "ExitSettlement")
    Loan = apps.get_model("loans", "Loan")
    LoanWriteOff = apps.get_model("loans", "LoanWriteOff")
    JournalLine = apps.get_model("ledger", "JournalLine")
    AccountRole = apps.get_model("ledger", "AccountRole")
    role_of = {r.account_id: r.key for r in AccountRole.objects.filter(key__in=ROLES)}
    settlements = (
        ExitSettlement.objects.filter(
            loans_waived__gt=0, reversed_at__isnull=True, journal_entry__isnull=False
        )
        .select_related("journal_entry")
        .order_by("pk")
    )
    for s in settlements:
        by_id = s.created_by_id or s.journal_entry.created_by_id
        if by_id is None:
            continue
        loans = (
            Loan.objects.filter(member_id=s.member_id, closed_by="writeoff", closed_on=s.on)
            .exclude(
                pk__in=LoanWriteOff.objects.filter(reversal_entry__isnull=True).values("loan_id")
            )
            .order_by("pk")
        )
        for loan in loans:
            moved = defaultdict(lambda: [ZERO, ZERO])
            for ln in JournalLine.objects.filter(entry_id=s.journal_entry_id, memo=loan.number):
                role = role_of.get(ln.account_id)
                if role is not None:
                    moved[role][0] += ln.debit
                    moved[role][1] += ln.credit
            principal = moved["loan_receivable"][1]
            brought = moved["loan_interest_receivable"][1]
            if principal <= 0 and brought <= 0:
                continue
            LoanWriteOff.objects.create(
                loan=loan,
                route="exit",
                exit_settlement=s,
                on=s.on,
                reason=(s.waiver_reason or "").strip() or NO_REASON,
                decision_ref=(s.board_decision_ref or "").strip()[:100] or NO_DECISION,
                principal=principal,
                jasa_receivable=brought,
                deferred_jasa=moved["deferred_jasa_income"][0],
                deferred_penalty=ZERO,
                ppap_used=moved["ppap_allowance"][0],
                expense=moved["ppap_expense"][0],
                loan_before={},
                rows_before=[],
                entry_id=s.journal_entry_id,
                by_id=by_id,
            )


def exit_write_offs_remove(apps, schema_editor):
    """Back before 0027 an exit's write-off had no record: those without a recovery are
    removed (one with a recovery, which only the newer code takes, is kept)."""
    LoanWriteOff = apps.get_model("loans", "LoanWriteOff")
    LoanWriteOff.objects.filter(route="exit", recoveries__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("loans", "0027_writeoff_route"),
        ("ledger", "0023_entry_period_lock"),
        ("savings", "0021_txn_entry_required_named"),
    ]

    operations = [migrations.RunPython(exit_write_offs_backfill, exit_write_offs_remove)]
