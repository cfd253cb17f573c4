"""Who gets past the role check on every write of the tenant site, per role, against
README's *Using Lumbung* table (its last column).

Every URL of the tenant URLconf (``urlwalk.tenant_urls``: a screen or API endpoint added
later is walked too, and fails here until it is placed in ``WRITERS``) is sent a write
(POST; PATCH/PUT/DELETE where the view takes no POST) by a login of each role. A role is
*refused* when it gets 401/403/405 or is sent to log in (a member: to the portal); any
other answer (200, a redirect, 400 for the empty body, 404 for the placeholder id) means
it passed the role check. The set that passes must be exactly the table's writers.

Where a view admits more roles than the step needs, the service decides and is tested in
its app with real objects: a loan's steps (verify bendahara/admin, approve ketua,
disburse and reversals bendahara/admin; a member only on their own loans),
``tests/loans/test_workflow.py`` and ``test_reversal.py``; a repayment's reversal
(bendahara, admin), ``tests/loans/test_reversal.py``; the member import's opening
balances (bendahara, admin), ``tests/members/test_import_roles.py``.
"""

import re

import pytest

from tests.webapp.urlwalk import tenant_urls

ADMIN = frozenset({"admin"})
T = frozenset({"admin", "bendahara"})  # treasury
TK = T | {"ketua"}
W = frozenset({"admin", "ketua", "bendahara", "petugas"})  # staff who write
STAFF = W | {"pengawas"}
ALL = STAFF | {"anggota"}
NOBODY = frozenset()

# (url name pattern, roles that pass the role check on a write); the first match wins
WRITERS = [
    # reads with no write method at all
    (
        r"members:rejoin_status|users:list|savings:statement|api-deductions-(import|run|export)"
        r"|api-savings-(account|interest-tax|statement)",
        NOBODY,
    ),
    # one's own account and session, and the pages before logging in
    (
        r"account:(profile|password)|login|password_reset|password_reset_confirm"
        r"|portal-activate(-confirm)?|set_language",
        ALL,
    ),
    (r"account:two-factor(-disable)?", STAFF),
    # member portal (anggota; the simulation is a GET form)
    (r"portal:simulate", NOBODY),
    (r"portal:.*", {"anggota"}),
    # read-only calculations
    (r"loans:simulate", STAFF),
    # loans (staff by step: the services decide, see above; a member applies and adds
    # documents for their own loans only)
    (
        r"loan-(list|simulate|approve|disburse|documents|payoff|reject|repay|reschedule"
        r"|reverse-disbursement|verify|write-off|reverse-write-off|recover|reverse-recovery)",
        ALL - {"pengawas"},
    ),
    (r"loan-repayment-reverse", W),
    (r"loan-(product-list|product-detail|settings)|loans:(settings|products|product_.*)", ADMIN),
    # the arrears/PPAP run from the screen or the API (today, or a past month's last day
    # still open); a run and its grades are reads (no write method)
    (r"loans:arrears_run|loan-arrears-run-list", T),
    (r"loan-arrears-run-(detail|grades)", NOBODY),
    (r"loans:.*", W),
    # members and agencies: staff; exit: bendahara, ketua, admin; its reversal: bendahara, admin
    (r"exits:reverse|api-member-exit-reverse", T),
    (r"exits:settle|api-member-exit-(confirm|left-open-confirm)", TK),
    (r"members:import(_detail)?", T | {"petugas"}),
    (r"members:.*|api-(agencies|agency|members|member)", W),
    # savings: the teller's staff; products, cancellations, runs, early withdrawal,
    # freezing: bendahara, admin. The PPh report takes its filter by POST too.
    (
        r"savings:(accounts|account|teller|teller_summary|receipt)"
        r"|api-savings-(transactions|accounts)",
        W,
    ),
    (r"savings:interest_tax", TK),
    (r"savings:.*|api-savings-.*", T),
    # payroll deduction: bendahara, admin (progress, reconciliation, export and a member's
    # history are reads: a POST is answered as the GET, nothing written)
    (r"deductions:(run_posting_progress|run_progress|reconcile|export|member_history)", W),
    (r"deductions:.*|api-deductions-.*", T),
    # ledger: bendahara, admin; ketua also decides manual entries; a period reopened: admin.
    # A long buku besar's background XLSX is a file of what the reader reads: pengawas too
    (r"ledger:account_ledger_export_request", STAFF),
    (r"ledger:manual_request|api-ledger-manual-request-(approve|reject)", TK),
    (r"api-ledger-period-reopen", ADMIN),
    (
        r"ledger:(accounts|account_edit|journal|entry|journal_new|periods)"
        r"|api-ledger-(accounts|account|entries|entry-reverse|year-close|period-close)",
        T,
    ),
    # year end: bendahara, admin; the RAT also ketua; reopen: admin
    (r"yearend:rat|api-yearend-rat-texts", TK),
    (r"api-yearend-reopen", ADMIN),
    (r"yearend:(index|year|payout_reverse|reclose)|api-yearend.*", T),
    # moving in: admin, bendahara
    (r"onboarding:.*|api-onboarding(-(?!reconciliation$|template$|go-live-check$).*)?", T),
    # subscription: admin, bendahara (the plan, the tax details: admin)
    (r"billing:(tenant|tax-details|plan-change)", ADMIN),
    (r"billing:.*", T),
    # users, keys, invitations, Dinas consent, practice copy: admin
    (
        r"users:.*|portal-invite|api-api-keys|api-api-key-revoke|sharing:consent"
        r"|practice:settings",
        ADMIN,
    ),
]

ROLES = sorted(ALL)
LOGIN_PATH = "/masuk/"


@pytest.fixture
def role_client(committed_role_client):
    """The logins of every role, made once for this module in a cooperative of its own
    (tests/webapp/conftest.py): each test's requests still run in its own transaction."""
    return committed_role_client


def _expected(name: str) -> frozenset:
    for rx, roles in WRITERS:
        if re.fullmatch(rx, name):
            return frozenset(roles)
    return NOBODY


def _refused(role: str, resp) -> bool:
    if resp.status_code in (401, 403, 405):
        return True
    if resp.status_code in (301, 302, 303):
        where = resp["Location"]
        return where.startswith(LOGIN_PATH) or (role == "anggota" and where.startswith("/portal/"))
    return False


def _write(client, path: str):
    """The view's write: POST, or the first of PATCH/PUT/DELETE it takes instead."""
    resp = client.post(path, {})
    for method in ("patch", "put", "delete"):
        if resp.status_code != 405:
            break
        resp = getattr(client, method)(path, "{}", content_type="application/json")
    return resp


# logging out (or ending a support session) is nobody's privilege to test here
URLS = [u for u in tenant_urls() if u.name not in ("logout", "support:end")]


@pytest.mark.parametrize("u", URLS, ids=str)
def test_only_the_readme_roles_get_past_the_role_check_on_a_write(u, role_client):
    passed = {r for r in ROLES if not _refused(r, _write(role_client(r), u.path))}
    expected = _expected(u.name)
    assert passed == expected, (
        f"{u}: written by {sorted(passed - expected)} (not theirs), "
        f"refused to {sorted(expected - passed)}"
    )
