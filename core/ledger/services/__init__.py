"""Writes to the general ledger, a module per topic: ``common`` (line specs, amount
and role checks), ``fiscal`` (fiscal years and months, the open month of a date), ``periods`` (closing and
reopening months, the year close),
``posting`` (``journal_post``, the reserved entry id, reversals), ``accounts`` (the chart
of accounts, role mapping, settings), ``manual`` (manual entries and their approval),
``exports`` (buku besar XLSX files built in the background). Every module posts through ``journal_post``.

Rules checked here (with specific Indonesian messages, nothing written on failure) and
again by the database (migration 0002): balanced, positive one-sided amounts, active
non-group accounts, open period, immutable once posted, gap-free numbers per year. The
names below are the public ones.
"""

from .accounts import (
    account_create,
    account_delete,
    account_role_set,
    account_update,
    ledger_settings_update,
)
from .common import (
    COPY_THRESHOLD,
    MAX_AMOUNT,
    ZERO,
    LineSpec,
)
from .exports import (
    ledger_export_build,
    ledger_export_download,
    ledger_export_error_shown,
    ledger_export_request,
    ledger_exports_cleanup,
)
from .fiscal import (
    books_closed_until,
    books_start,
    date_in_range,
    fiscal_year_ensure,
)
from .manual import (
    manual_entry_approve,
    manual_entry_reject,
    manual_entry_submit,
    manual_request_books_closed,
    previous_day,
)
from .periods import (
    fiscal_year_close,
    manual_requests_refusal,
    manual_requests_reject_only_note,
    period_close,
    period_not_ended,
    period_pending_requests,
    period_reopen,
)
from .posting import (
    MODULE_OWNER_PAGES,
    MODULE_OWNERS,
    journal_entry_id_reserve,
    journal_post,
    journal_reverse,
    posting_months_lock,
)
from .receipts import (
    receipt_number_take,
    receipt_source_set,
)

__all__ = [
    "ledger_export_build",
    "ledger_export_download",
    "ledger_export_error_shown",
    "ledger_export_request",
    "ledger_exports_cleanup",
    "receipt_number_take",
    "receipt_source_set",
    "ZERO",
    "MAX_AMOUNT",
    "COPY_THRESHOLD",
    "LineSpec",
    "fiscal_year_ensure",
    "books_start",
    "books_closed_until",
    "date_in_range",
    "journal_post",
    "journal_entry_id_reserve",
    "journal_reverse",
    "posting_months_lock",
    "MODULE_OWNERS",
    "MODULE_OWNER_PAGES",
    "period_close",
    "manual_requests_refusal",
    "manual_requests_reject_only_note",
    "period_not_ended",
    "period_pending_requests",
    "fiscal_year_close",
    "period_reopen",
    "account_create",
    "account_update",
    "account_delete",
    "account_role_set",
    "ledger_settings_update",
    "manual_entry_submit",
    "manual_entry_approve",
    "manual_request_books_closed",
    "manual_entry_reject",
    "previous_day",
]
