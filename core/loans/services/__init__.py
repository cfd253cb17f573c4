"""Writes of the loans module, one module per part of a loan's life:

- ``common``: roles, error codes, amount checks, the loan lock, notices, ledger glue;
- ``products``: loan products and the loan settings;
- ``applications``: simulation, eligibility, the application workflow;
- ``dues``: what a loan owes on a date, the payoff quote;
- ``disbursement``: disbursement and top-up;
- ``repayment``: repayment (counter, bank, payroll batches), early payoff;
- ``rescheduling``: a new schedule for the outstanding;
- ``settlement``: loans at a member's exit;
- ``writeoff``: writing off a Macet loan by the board's decision (hapus buku), its
  reversal, money recovered on it later;
- ``reversal``: reversing a repayment, a payoff or a disbursement (entry + sub-ledger).

The set-based batch repayment is ``core.loans.batch``; the daily arrears run
``core.loans.arrears``. Every service checks the actor's role itself (so the API, the
screens and batch callers get the same rules), runs in one transaction, writes an audit
row and sends notices only on commit. The names below are the public ones."""

from .applications import (
    REQUIRED_DOCUMENTS,
    Simulation,
    loan_apply,
    loan_approve,
    loan_document_add,
    loan_reject,
    loan_simulate,
    loan_verify,
    member_instalment_burden,
    membership_months,
    product_fees,
)
from .common import (
    APPLY_ROLES,
    APPROVE_ROLES,
    DISBURSE_ROLES,
    PRODUCT_ROLES,
    REJECT_ROLES,
    REPAY_ROLES,
    RESCHEDULE_ROLES,
    SETTINGS_ROLES,
    VERIFY_ROLES,
    ZERO,
    LoanErrors,
    R,
    loan_event_date_refusal_text,
    savings_credit,
)
from .disbursement import (
    TopupSettlement,
    loan_disburse,
    topup_settlement,
)
from .dues import (
    Dues,
    RowState,
    loan_dues,
    loan_payoff_quote,
    row_penalty_due,
)
from .products import (
    LOAN_SETTINGS_FIELDS,
    PRODUCT_FIELDS,
    loan_product_save,
    loan_settings_update,
    product_range_errors,
)
from .repayment import (
    ROW_PAID_FIELDS,
    SOURCE_SUKARELA,
    PaymentDateRefusal,
    RepaymentDraft,
    RepaymentPlan,
    loan_payoff,
    loan_repay,
    loan_repayment_prepare,
    loan_repayments_attach_entry,
    loans_payment_date_refusals,
    member_sukarela_account,
    sukarela_usable,
)
from .rescheduling import (
    loan_reschedule,
)
from .reversal import (
    disbursement_reversal_refusal,
    loan_disbursement_reverse,
    loan_repayment_reverse,
    loan_repayment_reverse_apply,
    repayment_reversal_refusal,
    reversal_reason_clean,
)
from .settlement import (
    WaivedLoan,
    loan_write_offs_at_exit_record,
    member_loans_settle_apply,
    member_loans_settle_refusals,
    member_loans_waive_apply,
)
from .writeoff import (
    RECOVERY_REVERSE_ROLES,
    RECOVERY_ROLES,
    WRITE_OFF_ROLES,
    loan_recovery_receive,
    loan_recovery_reverse,
    loan_write_off,
    loan_write_off_reverse,
    recovery_reversal_refusal,
    write_off_in_force,
    write_off_preview,
    write_off_recovered,
    write_off_refusal,
    write_off_reversal_refusal,
    write_off_summary,
)

__all__ = [
    "ZERO",
    "R",
    "APPLY_ROLES",
    "VERIFY_ROLES",
    "APPROVE_ROLES",
    "REJECT_ROLES",
    "DISBURSE_ROLES",
    "REPAY_ROLES",
    "RESCHEDULE_ROLES",
    "PRODUCT_ROLES",
    "SETTINGS_ROLES",
    "LoanErrors",
    "savings_credit",
    "LOAN_SETTINGS_FIELDS",
    "PRODUCT_FIELDS",
    "loan_product_save",
    "product_range_errors",
    "loan_settings_update",
    "Simulation",
    "product_fees",
    "loan_simulate",
    "membership_months",
    "member_instalment_burden",
    "REQUIRED_DOCUMENTS",
    "loan_apply",
    "loan_document_add",
    "loan_verify",
    "loan_approve",
    "loan_reject",
    "RowState",
    "row_penalty_due",
    "Dues",
    "loan_dues",
    "loan_payoff_quote",
    "loan_disburse",
    "TopupSettlement",
    "topup_settlement",
    "ROW_PAID_FIELDS",
    "RepaymentDraft",
    "RepaymentPlan",
    "loan_repayment_prepare",
    "loan_repayments_attach_entry",
    "PaymentDateRefusal",
    "loan_event_date_refusal_text",
    "loans_payment_date_refusals",
    "loan_repay",
    "loan_payoff",
    "SOURCE_SUKARELA",
    "member_sukarela_account",
    "sukarela_usable",
    "loan_reschedule",
    "member_loans_settle_apply",
    "member_loans_settle_refusals",
    "member_loans_waive_apply",
    "WaivedLoan",
    "loan_write_offs_at_exit_record",
    "WRITE_OFF_ROLES",
    "RECOVERY_ROLES",
    "loan_write_off",
    "loan_write_off_reverse",
    "loan_recovery_receive",
    "loan_recovery_reverse",
    "recovery_reversal_refusal",
    "RECOVERY_REVERSE_ROLES",
    "write_off_in_force",
    "write_off_preview",
    "write_off_recovered",
    "write_off_refusal",
    "write_off_reversal_refusal",
    "write_off_summary",
    "loan_repayment_reverse_apply",
    "loan_repayment_reverse",
    "loan_disbursement_reverse",
    "repayment_reversal_refusal",
    "reversal_reason_clean",
    "disbursement_reversal_refusal",
]
