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


def _raise_pay(member, by, amount, reason="slip gaji baru"):
    from core.members.services import member_update

    return member_update(member=member, by=by, reason=reason, take_home_pay=D(amount))


def test_a_pay_raise_made_just_before_the_application_is_shown_with_the_ratio_before_it(
    make_loan, staff, client_a, member
):
    """The ratio rests on the take-home pay, which a petugas may edit: raised from
    3.000.000 to 15.000.000 the same week the petugas files the loan, the deciders see the
    change, who made it, and that the loan would be over the limit on the old pay."""
    member.take_home_pay = D("3000000")
    member.save(update_fields=["take_home_pay"])
    _raise_pay(member, staff["petugas"], "15000000")
    member.refresh_from_db()
    loan = make_loan(principal=D("10000000"), tenor=10, until="applied")
    d = loan_decision_data(loan)
    assert [(c["old"], c["new"]) for c in d["pay_changes"]] == [(D("3000000"), D("15000000"))]
    assert d["pay_changes"][0]["by_applicant"] is True  # the petugas who filed the loan
    assert d["pay_changes"][0]["after_application"] is False
    assert d["dsr"] == D("7.33")  # 1.100.000 / 15.000.000: within the limit
    assert d["take_home_pay_before"] == D("3000000")
    assert d["dsr_before"] == D("36.67")  # 1.100.000 / 3.000.000: over 33,33 %
    assert d["dsr_before_over"] is True
    client_a.force_login(staff["ketua"])
    box = _decision_html(client_a.get(f"/pinjaman/{loan.pk}/").content.decode())
    changes = box.split('id="pay-changes"')[1].split("</div>")[0]
    assert "Rp 3.000.000" in changes and "Rp 15.000.000" in changes
    assert "slip gaji baru" in changes and "pengaju pinjaman ini" in changes
    assert re.search(r'id="dsr-before">[^<]*\(Rp 3\.000\.000\)', changes)
    assert re.search(r'badge err" data-over="1">36,67%', changes)


def test_a_change_after_the_application_is_marked_and_old_changes_are_not_shown(
    make_loan, staff, member
):
    from core.members.models import MemberChange

    _raise_pay(member, staff["petugas"], "9000000")
    row = MemberChange.objects.filter(member=member, field="take_home_pay").get()
    # a change long before the window: its date moved back 200 days (the history's
    # trigger refuses UPDATE, so it is switched off for that statement only)
    MemberChange.objects.create(
        member=member,
        field="take_home_pay",
        old_value="5000000.00",
        new_value="6000000.00",
    )
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SET LOCAL session_replication_role = replica")
        cur.execute(
            "UPDATE members_memberchange SET changed_at = changed_at - interval '200 days'"
            " WHERE id <> %s",
            [row.pk],
        )
        cur.execute("SET LOCAL session_replication_role = origin")
    loan = make_loan(principal=D("10000000"), tenor=10, until="applied")
    _raise_pay(member, staff["bendahara"], "12000000", reason="")
    d = loan_decision_data(loan)
    assert [(c["old"], c["new"], c["after_application"]) for c in d["pay_changes"]] == [
        (D("15000000"), D("9000000"), False),
        (D("9000000"), D("12000000"), True),
    ]
    assert d["pay_changes"][1]["by_applicant"] is False


def test_no_change_in_the_window_shows_no_box(make_loan, staff, client_a):
    loan = make_loan(until="applied")
    d = loan_decision_data(loan)
    assert d["pay_changes"] == [] and d["dsr_before"] is None
    client_a.force_login(staff["bendahara"])
    assert 'id="pay-changes"' not in client_a.get(f"/pinjaman/{loan.pk}/").content.decode()
