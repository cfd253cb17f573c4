"""Writes of savings, a module per topic: ``common`` (error codes, amount checks,
receipt numbers), ``accounts`` (opening, locking), ``apply`` (deposits and withdrawals on
the sub-ledger), ``teller`` (the counter: one journal entry and a receipt each),
``early`` (a berjangka account paid out before its payout date, with the product's
penalty), ``payout`` (a berjangka account paid out in full at maturity with the jasa of
the month's days before), ``interest`` (monthly jasa simpanan and its tax), ``products`` (creating and changing
products, wajib rates).

Every money service is split in two:

- ``*_apply`` validates, changes the sub-ledger (account balance + transaction row) and
  returns the ledger lines for the savings side (``LineSpec`` on the product's control
  account, tagged with the member). It posts nothing, so a batch (payroll deduction) can
  apply thousands of members' movements and post them as ONE journal entry.
- the thin teller service (``teller_deposit``, ``teller_withdraw``) adds the cash/bank line,
  posts one entry via ``journal_post`` and links the transaction to it.

Callers of ``*_apply`` must run inside ``transaction.atomic`` and post the returned lines
(with their counterpart) in the same transaction, then call ``transactions_link_entry``.
The names below are the public ones.
"""

from .accounts import (
    savings_account_freeze,
    savings_account_get_or_open,
    savings_account_open,
    savings_account_open_unique,
    savings_account_unfreeze,
    savings_accounts_lock,
    savings_accounts_lock_where,
)
from .apply import (
    berjangka_deposited,
    berjangka_deposited_bulk,
    berjangka_due_date,
    check_not_frozen,
    frozen_refusal,
    savings_deposit_apply,
    savings_withdraw_apply,
    transactions_link_entry,
)
from .common import (
    ZERO,
    Applied,
    SavingsErrors,
    clean_amount,
    counter_account,
    receipt_number_next,
)
from .early import (
    EarlyWithdrawalPreview,
    early_withdrawal_penalty,
    early_withdrawal_reason_clean,
    penalty_rule_label,
    savings_early_withdraw,
    savings_early_withdrawal_preview,
)
from .interest import (
    InterestCredit,
    interest_credit_at_exit,
    interest_days_label,
    interest_exit_month_apply,
    interest_exit_month_due,
    interest_exit_month_unrun,
    interest_for_month,
    interest_month_compute,
    interest_month_skipped_check,
    interest_months_missing,
    interest_months_named,
    interest_months_owed,
    interest_unpaid_at_exit,
    month_ends_counted,
    savings_interest_accrue,
    savings_interest_auto_run,
    tax_on_interest,
    tax_shares,
)
from .payout import PayoutInFull, berjangka_payout_in_full
from .products import (
    PRODUCT_CODE_RE,
    PRODUCT_EDITABLE,
    PRODUCT_KIND_ROLES,
    PRODUCT_SINGLE_KINDS,
    savings_product_create,
    savings_product_update,
    wajib_rate_set,
)
from .reversal import (
    check_period_open,
    interest_run_through,
    interest_runs_through,
    running_balances_from,
    savings_interest_reverse,
    savings_movement_reverse_apply,
)
from .teller import (
    REVERSIBLE_KINDS,
    teller_deposit,
    teller_reversal_refusal,
    teller_reverse,
    teller_withdraw,
)

__all__ = [
    "ZERO",
    "SavingsErrors",
    "Applied",
    "clean_amount",
    "receipt_number_next",
    "savings_account_open",
    "savings_account_open_unique",
    "savings_account_get_or_open",
    "savings_account_freeze",
    "savings_account_unfreeze",
    "savings_accounts_lock",
    "savings_accounts_lock_where",
    "savings_deposit_apply",
    "savings_withdraw_apply",
    "transactions_link_entry",
    "teller_deposit",
    "teller_withdraw",
    "teller_reverse",
    "teller_reversal_refusal",
    "EarlyWithdrawalPreview",
    "early_withdrawal_penalty",
    "early_withdrawal_reason_clean",
    "counter_account",
    "berjangka_deposited",
    "berjangka_deposited_bulk",
    "berjangka_due_date",
    "check_not_frozen",
    "frozen_refusal",
    "penalty_rule_label",
    "savings_early_withdraw",
    "savings_early_withdrawal_preview",
    "REVERSIBLE_KINDS",
    "PayoutInFull",
    "berjangka_payout_in_full",
    "check_period_open",
    "interest_run_through",
    "interest_runs_through",
    "savings_interest_reverse",
    "savings_movement_reverse_apply",
    "running_balances_from",
    "InterestCredit",
    "interest_credit_at_exit",
    "interest_days_label",
    "interest_exit_month_apply",
    "interest_exit_month_due",
    "interest_exit_month_unrun",
    "interest_for_month",
    "interest_month_compute",
    "interest_month_skipped_check",
    "interest_months_missing",
    "interest_months_named",
    "interest_months_owed",
    "month_ends_counted",
    "interest_unpaid_at_exit",
    "tax_on_interest",
    "tax_shares",
    "savings_interest_accrue",
    "savings_interest_auto_run",
    "PRODUCT_EDITABLE",
    "PRODUCT_KIND_ROLES",
    "PRODUCT_SINGLE_KINDS",
    "PRODUCT_CODE_RE",
    "savings_product_create",
    "savings_product_update",
    "wajib_rate_set",
]
