"""The e-mails a member gets about their loan (received, verified, approved, rejected,
paid out, a payment received, rescheduled) are written in the cooperative's language,
not in the language of the staff screen that acted: a treasurer working in English does
not send a member English mail."""

from decimal import Decimal as D

from django.utils import translation

from core.loans.services import loan_reject, loan_repay


def test_mail_is_in_the_cooperatives_language_whatever_the_staffs(
    make_loan, staff, mailoutbox, django_capture_on_commit_callbacks
):
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        loan = make_loan()
        loan_repay(loan=loan, amount=D(1_100_000), by=staff["petugas"])
        other = make_loan(until="applied")
        loan_reject(loan=other, by=staff["ketua"], reason="Dokumen kurang")
    subjects = [m.subject for m in mailoutbox]
    assert len(subjects) >= 6, subjects
    for m in mailoutbox:
        assert "Loan" not in m.subject and "loan" not in m.body, (m.subject, m.body)
    assert any(s.startswith("Pengajuan pinjaman") for s in subjects)
    assert any("dicairkan" in s for s in subjects)
    paid = next(m for m in mailoutbox if s_is(m, "Pembayaran pinjaman"))
    assert "Rp 1.100.000" in paid.body and "kuitansi" in paid.body
    assert any("ditolak" in s for s in subjects)
    assert translation.get_language() == "id"  # the staff's language put back after


def s_is(m, start: str) -> bool:
    return m.subject.startswith(start)
