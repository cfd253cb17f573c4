"""REST API of core.ledger, mounted under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("ledger/accounts/", api.AccountListCreate.as_view(), name="api-ledger-accounts"),
    path("ledger/accounts/<int:pk>/", api.AccountDetail.as_view(), name="api-ledger-account"),
    path("ledger/entries/", api.EntryListCreate.as_view(), name="api-ledger-entries"),
    path("ledger/entries/<int:pk>/", api.EntryDetail.as_view(), name="api-ledger-entry"),
    path(
        "ledger/entries/<int:pk>/reverse/",
        api.EntryReverse.as_view(),
        name="api-ledger-entry-reverse",
    ),
    path(
        "ledger/manual-requests/",
        api.ManualRequestList.as_view(),
        name="api-ledger-manual-requests",
    ),
    path(
        "ledger/manual-requests/<int:pk>/",
        api.ManualRequestDetail.as_view(),
        name="api-ledger-manual-request",
    ),
    path(
        "ledger/manual-requests/<int:pk>/approve/",
        api.ManualRequestApprove.as_view(),
        name="api-ledger-manual-request-approve",
    ),
    path(
        "ledger/manual-requests/<int:pk>/reject/",
        api.ManualRequestReject.as_view(),
        name="api-ledger-manual-request-reject",
    ),
    path("ledger/periods/", api.PeriodList.as_view(), name="api-ledger-periods"),
    path(
        "ledger/periods/<int:pk>/close/", api.PeriodClose.as_view(), name="api-ledger-period-close"
    ),
    path(
        "ledger/periods/<int:pk>/reopen/",
        api.PeriodReopen.as_view(),
        name="api-ledger-period-reopen",
    ),
    path(
        "ledger/fiscal-years/<int:year>/close/",
        api.FiscalYearClose.as_view(),
        name="api-ledger-year-close",
    ),
    path(
        "ledger/reports/trial-balance/",
        api.TrialBalanceReport.as_view(),
        name="api-ledger-trial-balance",
    ),
    path(
        "ledger/reports/balance-sheet/",
        api.BalanceSheetReport.as_view(),
        name="api-ledger-balance-sheet",
    ),
    path(
        "ledger/reports/income-statement/",
        api.IncomeStatementReport.as_view(),
        name="api-ledger-income-statement",
    ),
    path(
        "ledger/reports/equity-changes/",
        api.EquityChangesReport.as_view(),
        name="api-ledger-equity-changes",
    ),
    path("ledger/reports/cash-flow/", api.CashFlowReport.as_view(), name="api-ledger-cash-flow"),
    path(
        "ledger/reports/general-ledger/<int:pk>/",
        api.GeneralLedgerReport.as_view(),
        name="api-ledger-general-ledger",
    ),
]
