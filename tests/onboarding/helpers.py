import re
from datetime import date

from core.loans.schedules import add_months

# an opening trial balance whose loans are ``loan_row`` + ``arrears_row`` and whose
# savings are the member import's ``tests.members.test_import.rows(2)``
TB = {
    "1101": ("50000000", ""),
    "1103": ("12000000", ""),
    "1105": ("240000", ""),
    "1104": ("", "60000"),
    "3101": ("", "200000"),  # simpanan pokok
    "3102": ("", "2500000"),  # simpanan wajib
    "2101": ("", "500000"),  # simpanan sukarela
    "3103": ("", "58980000"),
}


def tb_rows():
    return [
        {"row": i, "account": c, "debit": d, "credit": k}
        for i, (c, (d, k)) in enumerate(TB.items(), start=2)
    ]


def members_import(by, cutover, n=2):
    """The member import (members and savings) with the cut-over as opening date."""
    from core.savings.member_import import member_import_run, member_import_upload
    from tests.members.test_import import rows as member_rows
    from tests.members.test_import import to_csv

    batch = member_import_upload(content=to_csv(member_rows(n)), file_name="a.csv", by=by)
    assert batch.status == "valid", batch.errors
    member_import_run(batch=batch, opening_date=cutover, by=by)


def loan_row(member, cutover: date, *, row=2, paid=None, **kw) -> dict:
    """A flat 1 %/month loan of 12,000,000 over 12 months, disbursed so that 7
    instalments fell due by the cut-over; all 7 paid unless said otherwise."""
    disbursed = add_months(cutover, -7).replace(day=15)
    data = {
        "row": row,
        "member_number": member.number,
        "product_code": "PINJ",
        "loan_number": f"LAMA-{row:03d}",
        "principal": "12.000.000",
        "disbursed_on": disbursed.isoformat(),
        "tenor": "12",
        "outstanding": "5.000.000",
        "instalments_paid": "7" if paid is None else str(paid),
    }
    data.update(kw)
    return data


def arrears_row(member, cutover: date, *, row=3, **kw) -> dict:
    """Five paid; the two further instalments due by the cut-over unpaid (arrears)."""
    data = {
        "paid": 5,
        "outstanding": "7.000.000",
        "arrears_jasa": "240.000",
        "arrears_principal": "2.000.000",
    }
    data.update(kw)
    return loan_row(member, cutover, row=row, **data)


def confirm_form(page: str, action: str) -> dict:
    """The hidden fields of the preview's confirm form (what *Simpan daftar ini* posts)."""
    form = next(
        fm for fm in re.findall(r"<form\b.*?</form>", page, re.S) if f'value="{action}"' in fm
    )
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))


def upload_and_confirm(c, data: dict, url: str = "/pindah/"):
    """A step's file through its two steps on the screen: the step's own button shows the
    preview, writing nothing; the preview's confirm button writes it (followed). A file
    refused at the preview (row errors, the step closed) gets no confirm button: that page
    is the answer."""
    r = c.post(url, data)
    confirm = f"{data['action']}_confirm"
    if r.status_code != 200 or f'value="{confirm}"' not in r.content.decode():
        return r
    return c.post(url, confirm_form(r.content.decode(), confirm), follow=True)


def move_in_started(c, cutover: date, url: str = "/pindah/"):
    """``c`` (a logged-in client) starts a move-in with its cut-over date; ``c`` back."""
    c.post(url, {"action": "start", "cutover_date": cutover.isoformat()})
    return c


def opening_not_posted() -> None:
    """No opening journal entry, and step 2 still pending."""
    from core.ledger.models import JournalEntry
    from core.onboarding.models import MoveIn

    assert not JournalEntry.objects.filter(source="opening").exists()
    assert MoveIn.objects.get().trial_balance_step == "pending"


def nothing_to_confirm() -> None:
    """No preview a confirm could save: a file refused at its preview is held only for the
    upload form to send it again with a changed mapping or tick (its ``options`` just its
    source, never signed for a confirm: ``core.onboarding.preview.upload_preview_hold``)."""
    from core.onboarding.models import UploadPreview

    assert all(p.options == {"source": "file"} for p in UploadPreview.objects.all())


def request_waiting(staff, cutover: date):
    """A manual entry (Rp 50.000 of costs paid in cash) dated the day before the cut-over,
    waiting for approval (the admin turns approval on; the bendahara submits it)."""
    from datetime import timedelta
    from decimal import Decimal

    from core.ledger.models import ManualEntryRequest
    from core.ledger.services import LineSpec, ledger_settings_update, manual_entry_submit

    ledger_settings_update(by=staff["admin"], manual_entry_approval=True)
    req = manual_entry_submit(
        on=cutover - timedelta(days=1),
        description="Koreksi kas sebelum pindah",
        lines=[LineSpec("5306", debit=Decimal("50000")), LineSpec("1101", credit=Decimal("50000"))],
        by=staff["bendahara"],
    )
    assert isinstance(req, ManualEntryRequest)
    return req
