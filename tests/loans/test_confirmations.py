"""Issue 19: irreversible loan actions ask first. The first POST of the disburse or
payoff form shows a confirmation with the rupiah figures; only the confirmed POST acts."""

from decimal import Decimal as D

from core.loans.models import Loan


def test_disburse_shows_net_after_each_fee_and_needs_the_confirmed_post(
    make_loan, staff, client_a, today
):
    loan = make_loan(principal=D("10000000"), tenor=10, until="approved")
    client_a.force_login(staff["bendahara"])
    url = f"/pinjaman/{loan.pk}/disburse/"
    r = client_a.post(url, {"on": today.isoformat(), "via": "cash"})
    assert r.status_code == 200
    html = r.content.decode()
    box = html.split('id="confirm"')[1]
    # admin 1% 100.000, provisi 0,5% 50.000, insurance 50.000, wajib 1% 100.000,
    # risk fund 0,5% 50.000: net 9.650.000
    assert "Rp 10.000.000" in box
    for label, amount, after in (
        ("Biaya administrasi", "Rp 100.000", "Rp 9.900.000"),
        ("Provisi", "Rp 50.000", "Rp 9.850.000"),
        ("Asuransi", "Rp 50.000", "Rp 9.800.000"),
        ("Simpanan wajib pinjam", "Rp 100.000", "Rp 9.700.000"),
        ("Dana risiko", "Rp 50.000", "Rp 9.650.000"),
    ):
        row = box.split(label)[1].split("</tr>")[0]
        assert amount in row and after in row, (label, row)
    assert "Diterima bersih anggota" in box and "Ya, cairkan Rp 9.650.000" in box
    assert 'name="confirmed" value="1"' in box and 'name="via" value="cash"' in box
    loan.refresh_from_db()
    assert loan.status == Loan.Status.APPROVED  # nothing posted yet

    r = client_a.post(url, {"on": today.isoformat(), "via": "cash", "confirmed": "1"})
    assert r.status_code == 302
    loan.refresh_from_db()
    assert loan.status == Loan.Status.DISBURSED and loan.net_disbursed == D("9650000")


def test_payoff_shows_the_total_and_needs_the_confirmed_post(make_loan, staff, client_a, today):
    loan = make_loan(principal=D("10000000"), tenor=10, days_ago=5)
    client_a.force_login(staff["bendahara"])
    url = f"/pinjaman/{loan.pk}/payoff/"
    r = client_a.post(url, {"channel": "counter"})
    assert r.status_code == 200
    box = r.content.decode().split('id="confirm"')[1]
    # principal 10.000.000 + early payoff fee 1% = 100.000
    assert "Rp 10.000.000" in box and "Rp 100.000" in box
    assert "Ya, lunasi Rp 10.100.000" in box
    loan.refresh_from_db()
    assert loan.status == Loan.Status.DISBURSED
    r = client_a.post(url, {"channel": "counter", "confirmed": "1"})
    assert r.status_code == 302 and "/kuitansi/" in r["Location"]
    loan.refresh_from_db()
    assert loan.status != Loan.Status.DISBURSED


def test_confirmation_is_not_offered_to_a_role_that_cannot_act(make_loan, staff, client_a):
    loan = make_loan(until="approved")
    client_a.force_login(staff["petugas"])
    r = client_a.post(f"/pinjaman/{loan.pk}/disburse/", {"via": "cash"}, follow=True)
    assert 'id="confirm"' not in r.content.decode()
    loan.refresh_from_db()
    assert loan.status == Loan.Status.APPROVED


def _undo_text(html: str) -> str:
    box = html.split('id="confirm"')[1]
    return box.split('id="confirm-undo"')[1].split("</p>")[0]


def test_a_confirmation_says_what_cannot_be_undone_and_how_to_correct(
    make_loan, staff, client_a, today
):
    loan = make_loan(principal=D("10000000"), tenor=10, until="approved")
    client_a.force_login(staff["bendahara"])
    html = client_a.post(
        f"/pinjaman/{loan.pk}/disburse/", {"on": today.isoformat(), "via": "cash"}
    ).content.decode()
    undo = _undo_text(html)
    # no "cannot be undone" next to a button that cancels: what stays, how to correct
    assert "begitu saja" not in html
    assert "jurnal pembalik" in undo and "tidak dapat dihapus" in undo
    assert "Kembali" in undo  # leaving this page records nothing


def test_a_reversal_confirmation_says_the_reversal_itself_stays(make_loan, staff, client_a, today):
    loan = make_loan(principal=D("10000000"), tenor=10)
    client_a.force_login(staff["bendahara"])
    r = client_a.post(f"/pinjaman/{loan.pk}/reverse-disbursement/", {"reason": "salah anggota"})
    assert r.status_code == 200, r.content.decode()[:1000]
    html = r.content.decode()
    assert "Ya, batalkan pencairan" in html and "begitu saja" not in html
    undo = _undo_text(html)
    assert "pembatalan ini tidak dapat ditarik kembali" in undo.lower()
    assert "catat ulang" in undo
    loan.refresh_from_db()
    assert loan.status == Loan.Status.DISBURSED
