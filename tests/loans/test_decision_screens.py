"""Issue 19: the verify and approve screens carry the decision data (take-home pay, other
loans, savings, the new instalment, the debt-service ratio against the product's limit,
membership length, and the application's history from the audit log)."""

import re
from decimal import Decimal as D

from core.loans.selectors import loan_decision_data


def _decision_html(html: str) -> str:
    return html.split('id="decision"')[1].split("</section>")[0]


def test_verify_screen_shows_dsr_within_limit(make_loan, staff, client_a, member):
    running = make_loan(principal=D("5000000"), tenor=10, days_ago=40)
    loan = make_loan(principal=D("10000000"), tenor=10, until="applied")
    d = loan_decision_data(loan)
    # flat 1%/month: 1.000.000 + 100.000 = 1.100.000; the running loan 500.000 + 50.000
    assert d["new_instalment"] == D("1100000")
    assert d["existing_instalments"] == D("550000")
    assert d["dsr"] == D("11.00")  # 1.650.000 / 15.000.000
    assert d["dsr_over"] is False
    client_a.force_login(staff["bendahara"])
    html = client_a.get(f"/pinjaman/{loan.pk}/").content.decode()
    box = _decision_html(html)
    assert "Rp 15.000.000" in box  # take-home pay
    assert "Rp 1.100.000" in box and "Rp 550.000" in box
    assert running.number in box and "Lancar" in box
    assert re.search(r'id="dsr-value"[^>]*>11,00%', box)
    assert "badge ok" in box and "dsr-over" not in box
    assert "batas produk 33,33% (Rp 4.999.500)" in box
    assert "Verifikasi (bendahara)" in html
    assert "Sisa pokok" not in html.split('id="decision"')[0]  # no "Sisa pokok Rp 0"


def test_approve_screen_flags_an_over_limit_application_red(make_loan, staff, client_a, member):
    loan = make_loan(principal=D("10000000"), tenor=10, until="verified")
    member.take_home_pay = D("3000000")  # pay fell after the application
    member.save(update_fields=["take_home_pay"])
    loan.refresh_from_db()
    d = loan_decision_data(loan)
    assert d["dsr"] == D("36.67")  # 1.100.000 / 3.000.000
    assert d["dsr_over"] is True
    client_a.force_login(staff["ketua"])
    html = client_a.get(f"/pinjaman/{loan.pk}/").content.decode()
    box = _decision_html(html)
    assert re.search(r'class="badge err" id="dsr-value" data-over="1">36,67%', box)
    assert 'id="dsr-over"' in box and "Melebihi batas produk" in box
    assert "Persetujuan (ketua)" in html


def test_history_lists_who_did_what_when(make_loan, staff, client_a):
    loan = make_loan(until="approved")
    client_a.force_login(staff["bendahara"])
    html = client_a.get(f"/pinjaman/{loan.pk}/").content.decode()
    hist = html.split('id="loan-history"')[1].split("</table>")[0]
    order = [hist.index(w) for w in ("Diajukan", "Diverifikasi", "Disetujui")]
    assert order == sorted(order)
    for role in ("petugas", "bendahara", "ketua"):
        assert staff[role].email in hist or staff[role].get_full_name() in hist


def test_membership_and_savings_are_shown(make_loan, staff, client_a, member, today):
    loan = make_loan(until="applied")
    d = loan_decision_data(loan)
    from core.loans.services.applications import membership_months

    assert d["membership_months"] == membership_months(member.join_date, today)
    client_a.force_login(staff["bendahara"])
    box = _decision_html(client_a.get(f"/pinjaman/{loan.pk}/").content.decode())
    assert f"{d['membership_months']} bulan" in box
    assert "Total simpanan" in box
