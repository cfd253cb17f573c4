"""The dashboard and the member portal read the feature apps' real selectors: members,
savings by product, loans by collectibility with NPL, cash and bank, loans waiting for
this user; a member sees only their own balances and loans."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from lumbung.dashboard import dashboard_panels, npl_band
from tests.members import factories as f
from tests.webapp.conftest import make_user


@pytest.fixture
def people(in_tenant_a):
    return {r: f.user(r) for r in ("admin", "ketua", "bendahara", "petugas", "pengawas")}


@pytest.fixture
def member(in_tenant_a, today):
    return f.member(
        full_name="Rina Wulandari", take_home_pay=D("15000000"), join_date=dt.date(2020, 1, 2)
    )


def _deposit(member, kind, amount, by, on):
    from core.savings.selectors import product_for_kind
    from core.savings.services import savings_account_get_or_open, teller_deposit

    acc = savings_account_get_or_open(member=member, product=product_for_kind(kind), on=on, by=by)
    return teller_deposit(account=acc, amount=D(amount), channel="cash", on=on, by=by)


@pytest.fixture
def product(in_tenant_a):
    from core.loans.models import LoanProduct

    return LoanProduct.objects.create(
        code="WEB",
        name="Pinjaman Uji",
        method="flat",
        rate=D("1"),
        rate_period="month",
        min_amount=D("1000000"),
        max_amount=D("50000000"),
        min_tenor=1,
        max_tenor=24,
        max_instalment_share=D("50"),
        min_membership_months=0,
    )


def _apply(member, product, by, on, principal="10000000"):
    from core.loans.services import loan_apply

    return loan_apply(
        member=member,
        product=product,
        principal=D(principal),
        tenor=10,
        by=by,
        on=on,
        documents=[
            ("application_letter", SimpleUploadedFile("surat.pdf", b"%PDF-1.4 surat")),
            ("payslip", SimpleUploadedFile("slip.pdf", b"%PDF-1.4 slip")),
        ],
    )


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_npl_bands():
    assert npl_band(D("5.00"))[1] == "ok"
    assert npl_band(D("5.01"))[1] == "warn"
    assert npl_band(D("12"))[1] == "err"
    assert npl_band(D("15.01"))[0] == "Tidak sehat"


def test_dashboard_shows_live_member_savings_and_cash_figures(client_a, people, member, today):
    joined = f.member(join_date=today)
    _deposit(member, "sukarela", "250000", people["petugas"], today)
    _deposit(joined, "sukarela", "1000000", people["petugas"], today)

    panels = dashboard_panels(user=people["bendahara"], today=today)
    assert panels["members"].data == {"active": 2, "joined": 1, "left": 0}
    sukarela = next(r for r in panels["savings"].data["rows"] if "ukarela" in r["name"])
    assert sukarela["total"] == D("1250000") and sukarela["accounts"] == 2
    assert panels["cash"].data["rows"][0]["balance"] == D("1250000")

    client_a.force_login(people["bendahara"])
    body = client_a.get("/").content.decode()
    assert "Rp 1.250.000" in body
    assert 'id="panel-members"' in body and 'id="panel-cash"' in body


def test_loans_waiting_show_as_tasks_for_the_right_role(client_a, people, member, product, today):
    from core.loans.services import loan_verify

    loan = _apply(member, product, people["petugas"], today)
    tasks = dashboard_panels(user=people["bendahara"], today=today)["tasks"].data["items"]
    assert [t["step"] for t in tasks] == ["Verifikasi"] and loan.number in tasks[0]["label"]
    assert "tasks" not in dashboard_panels(user=people["petugas"], today=today)
    assert dashboard_panels(user=people["ketua"], today=today)["tasks"].data["items"] == []

    loan_verify(loan=loan, by=people["bendahara"])
    ketua = dashboard_panels(user=people["ketua"], today=today)["tasks"].data["items"]
    assert [t["step"] for t in ketua] == ["Setujui"]
    client_a.force_login(people["ketua"])
    body = client_a.get("/").content.decode()
    assert loan.number in body and f"/pinjaman/{loan.pk}/" in body


def test_loans_panel_shows_outstanding_by_collectibility(client_a, people, member, product, today):
    from core.loans.services import loan_approve, loan_disburse, loan_verify

    loan = _apply(member, product, people["petugas"], today)
    loan_verify(loan=loan, by=people["bendahara"])
    loan_approve(loan=loan, by=people["ketua"])
    loan_disburse(loan=loan, by=people["bendahara"], on=today)
    data = dashboard_panels(user=people["pengawas"], today=today)["loans"].data
    assert data["outstanding"] == D("10000000")
    assert data["count"] == 1
    assert data["buckets"][0]["amount"] == D("10000000") and data["buckets"][0]["pct"] == 100
    assert data["npl"] == D("0.00") and data["npl_class"] == "ok"
    client_a.force_login(people["pengawas"])
    body = client_a.get("/").content.decode()
    assert "Rp 10.000.000" in body and "NPL 0,00%" in body


def test_a_broken_panel_does_not_take_the_dashboard_down(client_a, people, member, monkeypatch):
    # (a cooperative with a member: a brand-new one shows its set-up checklist instead)
    import lumbung.dashboard as dashboard

    def boom(**kw):
        raise RuntimeError("boom")

    monkeypatch.setattr(dashboard, "member_statistics", boom)
    panels = dashboard_panels(user=people["admin"])
    assert panels["members"].error and "savings" in panels
    client_a.force_login(people["admin"])
    resp = client_a.get("/")
    assert resp.status_code == 200 and "Data tidak tersedia" in resp.content.decode()


def test_panels_of_another_role_are_left_out(people):
    assert "tasks" not in dashboard_panels(user=people["pengawas"])
    assert "reconciliation" not in dashboard_panels(user=people["pengawas"])


# ---------------------------------------------------------------- member portal


@pytest.fixture
def member_login(member):
    user = make_user("anggota", email="rina@alpha.test")
    member.user = user
    member.save(update_fields=["user"])
    return user


def test_portal_shows_own_balances_and_loans(
    client_a, people, member, member_login, product, today
):
    _deposit(member, "sukarela", "750000", people["petugas"], today)
    other = f.member(full_name="Orang Lain", take_home_pay=D("15000000"))
    _deposit(other, "sukarela", "999000", people["petugas"], today)
    loan = _apply(member, product, people["petugas"], today, principal="5000000")
    others_loan = _apply(other, product, people["petugas"], today, principal="7000000")

    client_a.force_login(member_login)
    body = client_a.get("/portal/").content.decode()
    assert "Rina Wulandari" in body and "Rp 750.000" in body
    assert "999.000" not in body and "Orang Lain" not in body
    assert loan.number in body and others_loan.number not in body

    tx = client_a.get("/portal/transaksi/").content.decode()
    assert "Rp 750.000" in tx and "999.000" not in tx

    assert client_a.get(f"/portal/pinjaman/{loan.pk}/").status_code == 200
    # Another member's loan is not found, not forbidden: its existence is not revealed.
    assert client_a.get(f"/portal/pinjaman/{others_loan.pk}/").status_code == 404


def test_portal_loan_schedule_sums_to_principal(
    client_a, people, member, member_login, product, today
):
    from core.loans.services import loan_approve, loan_disburse, loan_verify

    loan = _apply(member, product, people["petugas"], today, principal="10000000")
    loan_verify(loan=loan, by=people["bendahara"])
    loan_approve(loan=loan, by=people["ketua"])
    loan_disburse(loan=loan, by=people["bendahara"], on=today)
    client_a.force_login(member_login)
    resp = client_a.get(f"/portal/pinjaman/{loan.pk}/")
    rows = resp.context["schedule"]
    assert len(rows) == 10
    assert sum(r["principal"] for r in rows) == D("10000000")
    assert "Rp 1.100.000" in resp.content.decode()  # flat 1%/month: 1.000.000 + 100.000

    # the home screen shows the next instalment: amount and due date (4 Des 2026 style)
    from django.template.defaultfilters import date as date_filter

    home = client_a.get("/portal/")
    nxt = home.context["dues"]
    assert nxt["due_total"] == 0 and not nxt["overdue"]
    assert nxt["next_amount"] == D("1100000") and nxt["next_due"] == rows[0]["due_date"]
    section = home.content.decode().split('id="portal-next-instalment"', 1)[1].split("</div>")[0]
    assert "Rp 1.100.000" in section and date_filter(rows[0]["due_date"]) in section


def test_portal_home_without_loans_says_nothing_is_due(client_a, member, member_login):
    client_a.force_login(member_login)
    body = client_a.get("/portal/").content.decode()
    assert "Tidak ada angsuran yang harus dibayar." in body
    assert "Belum ada potong gaji." in body


def test_portal_without_linked_member_explains(client_a, in_tenant_a):
    client_a.force_login(make_user("anggota", email="lepas@alpha.test"))
    resp = client_a.get("/portal/")
    assert resp.status_code == 200 and "belum terhubung" in resp.content.decode()


def test_member_simulates_a_loan_in_the_portal(client_a, member, member_login, product):
    client_a.force_login(member_login)
    home = client_a.get("/portal/").content.decode()
    assert "/portal/pinjaman/simulasi/" in home
    resp = client_a.get(
        "/portal/pinjaman/simulasi/",
        {"product": product.pk, "principal": "10000000", "tenor": "10"},
    )
    assert resp.status_code == 200
    body = resp.content.decode()
    assert 'id="simulation"' in body and "Rp 1.100.000" in body  # flat 1%/month reference
    from core.loans.models import Loan

    assert not Loan.objects.exists()  # a simulation writes nothing


def test_portal_simulation_refuses_amounts_outside_the_product(
    client_a, member, member_login, product
):
    client_a.force_login(member_login)
    resp = client_a.get(
        "/portal/pinjaman/simulasi/",
        {"product": product.pk, "principal": "100000000", "tenor": "10"},
    )
    assert resp.status_code == 200
    assert 'id="simulation"' not in resp.content.decode()
    assert resp.context["form"].errors


def test_deductions_panel_shows_this_months_lists(client_a, people, member, monkeypatch):
    """The panel shows what ``deduction_run_status(year=, month=)`` gives for this month."""
    import lumbung.dashboard as dashboard

    monkeypatch.setattr(dashboard, "deduction_run_status", lambda *, year, month: None)
    assert dashboard_panels(user=people["bendahara"])["deductions"].data == {"runs": []}
    monkeypatch.setattr(
        dashboard,
        "deduction_run_status",
        lambda *, year, month: [
            {
                "label": "DISDIK",
                "status": "Siap diposting",
                "expected": D("1500000"),
                "realized": D("1250000"),
            }
        ],
    )
    panel = dashboard_panels(user=people["bendahara"])["deductions"]
    assert panel.data["runs"][0]["label"] == "DISDIK"
    client_a.force_login(people["bendahara"])
    body = client_a.get("/").content.decode()
    assert 'id="panel-deductions"' in body and "Rp 1.250.000" in body


def test_member_figures_count_each_case_once(people, member, today):
    """Active now; joined and left within this month (bounds included)."""
    from core.members.models import Member
    from lumbung.dashboard import month_bounds

    start, _end = month_bounds(today)
    f.member(join_date=start)
    f.member(join_date=today)
    f.member(join_date=start - dt.timedelta(days=1))  # last month
    gone = f.member(join_date=dt.date(2019, 5, 1))
    Member.objects.filter(pk=gone.pk).update(status=Member.Status.RESIGNED, exit_date=start)
    old = f.member(join_date=dt.date(2019, 5, 1))
    Member.objects.filter(pk=old.pk).update(
        status=Member.Status.RESIGNED, exit_date=start - dt.timedelta(days=1)
    )
    panels = dashboard_panels(user=people["admin"], today=today)
    assert panels["members"].data == {
        "active": Member.objects.filter(status=Member.Status.ACTIVE).count(),
        "joined": 2,
        "left": 1,
    }
    assert panels["members"].data["active"] == 4


def test_every_cash_account_shows_its_balance_whether_mapped_to_a_role_or_not(
    people, member, today
):
    from core.ledger.models import Account, AccountRole
    from core.ledger.services import LineSpec, fiscal_year_ensure, journal_post

    yesterday = today - dt.timedelta(days=1)
    fiscal_year_ensure(year=yesterday.year)  # on 1 January yesterday is last year
    journal_post(
        on=yesterday,
        description="Setor ke bank",
        lines=[
            LineSpec("1101", debit=D("700000")),
            LineSpec("1102", debit=D("300000")),
            LineSpec("3106", credit=D("1000000")),
        ],
        by=people["bendahara"],
    )
    journal_post(  # today's entry is not in yesterday's balance
        on=today,
        description="Besok",
        lines=[LineSpec("1102", debit=D("5")), LineSpec("3106", credit=D("5"))],
        by=people["bendahara"],
    )
    cash = dashboard_panels(user=people["admin"], today=yesterday)["cash"].data
    assert [(r["label"], r["balance"]) for r in cash["rows"]] == [
        ("Kas", D("700000")),
        ("Bank", D("300000")),
    ]
    assert cash["total"] == D("1000000")
    AccountRole.objects.filter(key="cash").delete()  # unmapped: still cash, by its name
    cash = dashboard_panels(user=people["admin"], today=yesterday)["cash"].data
    kas = Account.objects.get(code="1101")
    assert [(r["label"], r["balance"]) for r in cash["rows"]] == [
        (kas.name, D("700000")),
        ("Bank", D("300000")),
    ]
    assert cash["total"] == D("1000000")
    Account.objects.filter(is_cash=True).update(is_cash=False)
    assert "cash" not in dashboard_panels(user=people["admin"], today=today)


def test_dashboard_cash_total_is_the_cash_flows_closing_cash(people, member, today):
    """A third cash account (a regional bank) holding part of the money: the dashboard's
    "Kas dan bank" adds it, as the cash flow statement does."""
    from core.ledger import reports
    from core.ledger.models import Account
    from core.ledger.services import LineSpec, account_create, fiscal_year_ensure, journal_post

    by = people["bendahara"]
    yesterday = today - dt.timedelta(days=1)
    fiscal_year_ensure(year=yesterday.year)  # on 1 January yesterday is last year
    journal_post(
        on=yesterday,
        description="Setoran modal awal",
        by=by,
        lines=[LineSpec("1102", debit=D("50000000")), LineSpec("3106", credit=D("50000000"))],
    )
    bpd = account_create(
        code="1109",
        name="Bank BPD Kalteng",
        type="asset",
        parent=Account.objects.get(code="11"),
        is_cash=True,
        by=by,
    )
    journal_post(
        on=yesterday,
        description="Pindah dana ke rekening BPD",
        by=by,
        lines=[LineSpec(bpd, debit=D("20000000")), LineSpec("1102", credit=D("20000000"))],
    )
    cf = reports.cash_flow(date_from=dt.date(yesterday.year, 1, 1), date_to=yesterday)
    assert cf["closing_cash"] == D("50000000")
    cash = dashboard_panels(user=people["admin"], today=yesterday)["cash"].data
    assert cash["total"] == cf["closing_cash"]
    assert ("Bank BPD Kalteng", D("20000000")) in [(r["label"], r["balance"]) for r in cash["rows"]]


def test_loan_grade_colours_follow_the_grade_not_its_position(
    client_a, people, member, product, today
):
    """The four-grade scheme has no Dalam Perhatian Khusus: each grade still shows in its
    own colour (Kurang Lancar did take DPK's, Diragukan Kurang Lancar's, and so on)."""
    from core.loans.services import loan_approve, loan_disburse, loan_settings_update, loan_verify

    loan = _apply(member, product, people["petugas"], today)
    loan_verify(loan=loan, by=people["bendahara"])
    loan_approve(loan=loan, by=people["ketua"])
    loan_disburse(loan=loan, by=people["bendahara"], on=today)
    expected = {
        "Lancar": "ok",
        "Dalam Perhatian Khusus": "warn",
        "Kurang Lancar": "err",
        "Diragukan": "bad",
        "Macet": "worst",
    }

    def colours():
        data = dashboard_panels(user=people["pengawas"], today=today)["loans"].data
        return {b["label"]: b["cls"] for b in data["buckets"]}

    four = colours()
    assert "Dalam Perhatian Khusus" not in four
    assert four == {k: v for k, v in expected.items() if k in four} and "Macet" in four
    client_a.force_login(people["pengawas"])
    body = client_a.get("/").content.decode()
    assert '<span>Macet</span><span class="track"><span class="fill worst"' in body
    loan_settings_update(by=people["admin"], kolek_scheme="five")
    assert colours() == expected
