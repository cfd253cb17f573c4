"""REST API of core.savings, mounted under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("savings/products/", api.ProductList.as_view(), name="api-savings-products"),
    path("savings/interest-tax/", api.InterestTaxReport.as_view(), name="api-savings-interest-tax"),
    path("savings/accounts/", api.AccountList.as_view(), name="api-savings-accounts"),
    path("savings/accounts/<int:pk>/", api.AccountDetail.as_view(), name="api-savings-account"),
    path(
        "savings/accounts/<int:pk>/freeze/",
        api.AccountFreeze.as_view(freeze=True),
        name="api-savings-account-freeze",
    ),
    path(
        "savings/accounts/<int:pk>/unfreeze/",
        api.AccountFreeze.as_view(freeze=False),
        name="api-savings-account-unfreeze",
    ),
    path(
        "savings/accounts/<int:pk>/early-withdrawal/",
        api.EarlyWithdrawal.as_view(),
        name="api-savings-early-withdrawal",
    ),
    path(
        "savings/transactions/",
        api.TransactionListCreate.as_view(),
        name="api-savings-transactions",
    ),
    path(
        "savings/transactions/<int:pk>/reverse/",
        api.TransactionReverse.as_view(),
        name="api-savings-transaction-reverse",
    ),
    path("savings/interest-runs/", api.InterestRunList.as_view(), name="api-savings-interest-runs"),
    path(
        "savings/interest-runs/<int:pk>/reverse/",
        api.InterestRunReverse.as_view(),
        name="api-savings-interest-run-reverse",
    ),
    path(
        "savings/statements/<int:member_pk>/",
        api.Statement.as_view(),
        name="api-savings-statement",
    ),
]
