from django.core.exceptions import ImproperlyConfigured

from .env import env

# Apps in the public schema: the tenant registry, billing, operators' own users.
SHARED_APPS = [
    "django_tenants",
    "tenants",
    "billing",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files served locally (no CDN)
    "django_htmx",
    "django_celery_beat",
    "django_prometheus",
    "core.users",
    "core.audit",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "lumbung.console",  # operator console: usage snapshots, support sessions, job runs
    "lumbung.dinas",  # Dinas Koperasi view: pembina users, shared indicators, ministry export
]

# Apps in every cooperative's schema: its own users, sessions, members, money.
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "core.users",
    "core.audit",
    "core.common",
    "core.ledger",
    "core.members",
    "core.savings",
    "core.loans",
    "core.deductions",
    "core.exits",
    "core.yearend",
    "core.onboarding",
    "core.overview",  # one view of a member, search (reads only, no models)
    "axes",  # lockout counters per cooperative
    "django_otp",
    "django_otp.plugins.otp_totp",
    "core.portal",
    "core.sharing",  # consent to share indicators with the Dinas; the indicators' selectors
]

INSTALLED_APPS = list(SHARED_APPS) + [a for a in TENANT_APPS if a not in SHARED_APPS]

TENANT_MODEL = "tenants.Cooperative"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
PUBLIC_SCHEMA_URLCONF = "lumbung.urls_public"
TENANT_LIMIT_SET_CALLS = True
SHOW_PUBLIC_IF_NO_TENANT_FOUND = False
# The per-request host -> cooperative lookup is cached (tenants.host_cache) this long at
# most; every change of a domain or a cooperative's row drops it at once. 0: no cache.
TENANT_HOST_CACHE_SECONDS = env.int("TENANT_HOST_CACHE_SECONDS", default=300)
# A host of no cooperative (a scanner, a mistyped name) is remembered as missing this
# long (at most TENANT_HOST_CACHE_SECONDS); adding the domain drops it at once. 0: not kept.
TENANT_HOST_MISS_SECONDS = env.int("TENANT_HOST_MISS_SECONDS", default=30)

# Cooperatives live at <slug>.<BASE_DOMAIN>; the apex is the public site and console.
BASE_DOMAIN = env.str("BASE_DOMAIN", default="localhost")
SITE_SCHEME = env.str("SITE_SCHEME", default="http")
SITE_PORT = env.str("SITE_PORT", default="8000")

# Functions `fn(*, cooperative)` run inside a new cooperative's schema at creation
# (chart of accounts, default products, settings). Apps append their own.
TENANT_SEEDERS: list[str] = []
# Functions `fn(*, cooperative)` run in the public schema after a cooperative is created
# (billing: start the trial subscription). A failure undoes the whole creation.
TENANT_PROVISIONED_HOOKS: list[str] = ["billing.services.trial_start"]
# Functions `fn(*, cooperative)` run inside the demo schema by `seed_demo` (idempotent).
DEMO_SEEDERS: list[str] = []
# Functions `fn(*, cooperative, operator)` run in the public schema by `seed_demo` after
# DEMO_SEEDERS (idempotent): the demo billed as a real cooperative.
DEMO_PUBLIC_SEEDERS: list[str] = ["billing.services.demo_subscription_seed"]
# A practice copy ("Ruang latihan", tenants.practice) unused this many days is deleted.
PRACTICE_UNUSED_DAYS = env.int("PRACTICE_UNUSED_DAYS", default=90)
# Dinas view: the RAT of a fiscal year is due within this many months of its year end
# (3: by 31 March; the "RAT overdue" filter, lumbung.dinas.selectors.rat_deadline).
RAT_DEADLINE_MONTHS = env.int("RAT_DEADLINE_MONTHS", default=3)
if not 1 <= RAT_DEADLINE_MONTHS <= 12:
    raise ImproperlyConfigured("RAT_DEADLINE_MONTHS must be between 1 and 12.")

# `migrate_schemas --tenant --executor=multiprocessing` (the deploy `migrate` step): how many
# tenant schemas are migrated at once.
TENANT_MULTIPROCESSING_MAX_PROCESSES = env.int("MIGRATE_PROCESSES", default=2)

# The ledger seeds first: other modules' seeders map their products to its accounts.
TENANT_SEEDERS.insert(0, "core.ledger.seeding.ledger_tenant_seed")
DEMO_SEEDERS.insert(0, "core.ledger.seeding.ledger_demo_seed")
# Savings: default products (after the ledger's chart); demo agencies, members and savings.
TENANT_SEEDERS.append("core.savings.seeding.savings_products_seed")
DEMO_SEEDERS.append("core.savings.seeding.savings_demo_seed")
# Loans: settings row and default products; demo loans after the members/savings demo.
TENANT_SEEDERS.append("core.loans.seeding.loans_tenant_seed")
DEMO_SEEDERS.append("core.loans.seeding.loans_demo_seed")
# Payroll deduction: last month posted and this month generated (after the loans demo).
DEMO_SEEDERS.append("core.deductions.seeding.deductions_demo_seed")

# Sub-ledger checks `fn()` run daily by core.ledger.tasks against the ledger's control
# accounts (see core.ledger.reconciliation); apps add their own.
LEDGER_SUBLEDGER_CHECKS: dict[str, str] = {
    "savings": "core.savings.selectors.savings_subledger_check",
    "loans": "core.loans.selectors.loans_reconciliation",
    # the posted SHU shares' unpaid total against SHU bagian anggota's member lines
    "shu": "core.yearend.selectors.shu_subledger_check",
    # the stored cash-flow figures of closed months against the lines
    "cash_flow": "core.ledger.reports.cash_flow_months_check",
    # the trigger-kept per-day cash-flow figures against the lines
    "cash_flow_days": "core.ledger.reports.cash_flow_days_check",
}

# The ledger's balance sheet splits a receivable into current (due within 12 months) and
# non-current with these functions `fn(*, on) -> Decimal` (modules above the ledger).
LEDGER_NON_CURRENT_PROVIDERS = {
    "loan_receivable": "core.yearend.selectors.loans_principal_due_after_12_months",
}

# Which of some member ids are members of the current cooperative, `fn(ids) -> set[int]`:
# the ledger checks the member named on a manual journal line with it (members sit above).
LEDGER_MEMBER_IDS_EXISTING = "core.members.selectors.member_ids_existing"
# How the journal names a line's member ("A00001 Nama"): the members app answers.
LEDGER_MEMBER_LABELS = "core.members.selectors.member_labels"

# Where a fiscal year is closed (income tax, SHU after tax into SHU belum dibagi, the close
# checklist): the year-end app's screen and API. The ledger's own year-close screen action
# and API refuse and point there, so no year is closed past the checklist.
LEDGER_YEAR_CLOSE_URL = "/tutup-buku/{year}/"
# The longest buku besar (lines of the range) served as PDF; a longer one is refused
# with a message pointing at its XLSX, which holds any number of lines.
LEDGER_PDF_MAX_LINES = 2000
# The longest buku besar served as XLSX within the request; a longer one is built in the
# background (core.ledger LedgerExport, a Celery task) and offered on the buku besar page.
# Its file is kept LEDGER_EXPORT_KEEP_DAYS days (daily clean-up); one still queued or
# running after LEDGER_EXPORT_STALE_SECONDS (a lost message, a killed worker) is marked
# failed, so asking again starts a new one.
LEDGER_XLSX_SYNC_MAX_LINES = 20_000
LEDGER_EXPORT_KEEP_DAYS = 7
LEDGER_EXPORT_STALE_SECONDS = 3600
LEDGER_YEAR_CLOSE_API = "/api/v1/yearend/{year}/close/"

# A staff login deactivated, reactivated, given another role or a new password, or its
# authenticator turned off or replaced in a cooperative is changed in its practice copy
# in the same transaction (core.users.services calls these).
USER_RIGHTS_CHANGED_HOOKS = ["tenants.practice.practice_user_sync"]
# The schemas holding the same staff logins — a cooperative and its practice copy, the
# real one first: one set of login failure counters (the real one's) and a TOTP code
# spent at one is spent at both (core.users.linked).
LOGIN_SCHEMAS = "tenants.practice.practice_login_schemas"
