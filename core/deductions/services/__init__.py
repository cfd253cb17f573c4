"""Writes of the payroll-deduction cycle, a module per step:

- ``common``: error codes, roles, the deduction settings;
- ``runs``: a month's run and its lines (wajib, loan dues, arrears, purpose savings);
- ``imports``: the realized files, checked row by row;
- ``loan_dates``: rows paying a loan on a date it takes no payment (by the posting date);
- ``posting``: the allocation preview and one agency's batch posted in one transaction;
- ``post_all``: "post every ready agency" (a few Celery tasks, each posting its agencies);
- ``reversal``: a posted batch reversed as a whole;
- ``savings_dates``: the savings a batch moves against their dates (a month whose jasa
  simpanan was run; a reversal's running balance);
- ``start``: the steps that queue background work (generate, post all) at commit.

Posting reuses the savings and loans rules through their set-based batch services
(``core.savings.batch.savings_deposits_apply_bulk``, ``core.loans.batch.
loan_repayments_prepare_bulk``: the same rules as ``savings_deposit_apply`` and
``loan_repayment_prepare``, a fixed number of queries); one journal entry per agency batch,
one database transaction, a unique source reference and unique constraints so nothing
posts twice. The names below are the public ones.
"""

from .common import (
    CHUNK,
    MAX_UPLOAD,
    ZERO,
    DeductionErrors,
    E,
    books_start_after,
    deduction_settings_get,
    deduction_settings_update,
    posting_date_clean,
    posting_date_default,
    posting_date_proposed,
)
from .imports import (
    deduction_import_discard,
    deduction_import_exclude,
    deduction_import_loan_dates_mark,
    deduction_import_members_recheck,
    deduction_import_upload,
)
from .loan_dates import (
    LOAN_DATE,
    date_errors_only,
    loan_date_earliest,
    loans_split,
)
from .post_all import (
    POSTING_STALE,
    deduction_run_post_all,
    deduction_run_post_all_start,
    deduction_run_post_one,
    post_all_left_out,
    post_groups,
)
from .posting import (
    MemberPlan,
    PostingPreview,
    deduction_agency_post_nothing,
    deduction_import_plan,
    deduction_import_post,
    deduction_import_post_check,
    deduction_import_post_preview,
)
from .reversal import (
    deduction_import_reverse,
    reversal_reason_clean,
)
from .runs import (
    deduction_lines_build,
    deduction_run_create,
    deduction_run_generate,
    deduction_run_regenerate,
    deduction_run_retry,
    wajib_carried,
)
from .savings_dates import plan_interest_run_check
from .start import (
    deduction_run_post_all_enqueue,
    deduction_run_regenerate_start,
    deduction_run_retry_start,
    deduction_run_start,
)

__all__ = [
    "ZERO",
    "CHUNK",
    "MAX_UPLOAD",
    "DeductionErrors",
    "E",
    "deduction_settings_get",
    "deduction_settings_update",
    "posting_date_clean",
    "books_start_after",
    "posting_date_default",
    "posting_date_proposed",
    "deduction_run_create",
    "deduction_lines_build",
    "deduction_run_generate",
    "deduction_run_retry",
    "deduction_run_regenerate",
    "wajib_carried",
    "deduction_import_upload",
    "deduction_import_exclude",
    "deduction_import_discard",
    "deduction_import_members_recheck",
    "deduction_import_loan_dates_mark",
    "LOAN_DATE",
    "date_errors_only",
    "loan_date_earliest",
    "loans_split",
    "MemberPlan",
    "deduction_import_plan",
    "deduction_import_post",
    "PostingPreview",
    "deduction_import_post_preview",
    "deduction_import_post_check",
    "deduction_agency_post_nothing",
    "POSTING_STALE",
    "deduction_run_post_all_start",
    "deduction_run_post_one",
    "post_groups",
    "post_all_left_out",
    "deduction_run_post_all",
    "deduction_import_reverse",
    "reversal_reason_clean",
    "plan_interest_run_check",
    "deduction_run_start",
    "deduction_run_regenerate_start",
    "deduction_run_retry_start",
    "deduction_run_post_all_enqueue",
]
