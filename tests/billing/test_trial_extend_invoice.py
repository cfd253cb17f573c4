"""An operator extends the trial of a cooperative that already has a bank-transfer
invoice for the period after it: the invoice's period moves to start the day after the
new trial end (same plan, interval, amount and number), so paying it never buys days
the cooperative got free. A transfer whose proof awaits the operator buys the period
after the new trial end too. Audited; the billing page and the PDF show the new dates."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from django.utils.formats import date_format

from billing import services
from billing.models import Invoice, Notice, Plan, Subscription
from billing.pdf import invoice_html
from billing.services.common import _end_of_day, add_months
from core.audit.models import AuditEvent
from core.common.errors import ApplicationError

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _issue(sub, plan_code="sedang", interval="month") -> Invoice:
    return services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code=plan_code), interval=interval, by="admin"
    )


def _day_after_trial(sub) -> object:
    return timezone.localdate(sub.trial_ends_at) + timedelta(days=1)


def _page_date(d) -> str:
    with translation.override("id"):
        return date_format(d)


@pytest.mark.parametrize("interval", ["month", "year"])
def test_extending_the_trial_moves_an_open_invoice_to_the_new_trial_end(
    tenant_a, operator, admin_client_a, interval
):
    sub = Subscription.objects.get(cooperative=tenant_a)
    inv = _issue(sub, interval=interval)
    assert inv.period_start == _day_after_trial(sub)
    before = Invoice.objects.get(pk=inv.pk)

    sub = services.trial_extend(subscription=sub, days=14, operator=operator, reason="uji")

    inv.refresh_from_db()
    start = _day_after_trial(sub)
    months = 12 if interval == "year" else 1
    assert start == before.period_start + timedelta(days=14)
    assert inv.period_start == start
    assert inv.period_end == add_months(start, months) - timedelta(days=1)
    assert inv.due_on == start - timedelta(days=1)  # due by the end of the new trial
    # The same invoice: number, reference, plan and amount as issued.
    assert (inv.number, inv.reference, inv.status) == (before.number, before.reference, "open")
    assert (inv.plan_id, inv.interval) == (before.plan_id, before.interval)
    assert (inv.amount, inv.dpp, inv.ppn, inv.amount_due) == (
        before.amount,
        before.dpp,
        before.ppn,
        before.amount_due,
    )
    event = AuditEvent.objects.get(action="billing.invoice_period_moved")
    assert event.actor == operator and event.reason == "uji"
    assert event.data["invoice"] == inv.number
    assert event.data["from"] == [before.period_start.isoformat(), before.period_end.isoformat()]
    assert event.data["to"] == [inv.period_start.isoformat(), inv.period_end.isoformat()]

    # The cooperative sees the new dates on its billing page and on the invoice PDF.
    page = admin_client_a.get("/langganan/").content.decode()
    table = page[page.index("Tagihan dan kuitansi") :]
    row = table[table.index(inv.number) :][:1500]
    assert f"{_page_date(inv.period_start)} – {_page_date(inv.period_end)}" in row
    assert _page_date(before.period_start) not in row
    with translation.override("id"):
        html = " ".join(invoice_html(invoice=inv).split())
        shown = f"{date_format(inv.period_start, 'j M Y')} – {date_format(inv.period_end, 'j M Y')}"
    assert shown in html

    # Paid now, the period bought starts after the new trial end.
    services.bank_transfer_confirm(invoice=inv, operator=operator)
    sub.refresh_from_db()
    assert sub.current_period_end == _end_of_day(inv.period_end)
    assert sub.status == "active"


def test_a_transfer_awaiting_the_operator_pays_the_period_after_the_new_trial_end(
    tenant_a, operator
):
    sub = Subscription.objects.get(cooperative=tenant_a)
    inv = _issue(sub)
    services.bank_proof_upload(
        invoice=inv,
        upload=SimpleUploadedFile("bukti.png", PNG, "image/png"),
        by="bendahara",
        amount_claimed=inv.amount_due,
    )
    amount = inv.amount

    sub = services.trial_extend(subscription=sub, days=20, operator=operator, reason="uji")
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.AWAITING and inv.amount == amount
    assert inv.period_start == _day_after_trial(sub)

    services.bank_transfer_confirm(invoice=inv, operator=operator)
    inv.refresh_from_db()
    sub.refresh_from_db()
    assert inv.period_start == _day_after_trial(sub)
    assert inv.period_end == add_months(inv.period_start, 1) - timedelta(days=1)
    assert sub.current_period_end == _end_of_day(inv.period_end)


def test_a_trial_extended_after_it_ended_moves_the_invoice_past_the_new_end(
    tenant_a, operator, clock
):
    """The trial ended unpaid (past due); the invoice issued during it starts on a day
    now gone. Extended from today, the invoice starts after the new trial end, and
    paying it does not start the period today (inside the new trial)."""
    sub = Subscription.objects.get(cooperative=tenant_a)
    inv = _issue(sub)
    clock.advance(days=33)
    services.billing_sweep()
    sub.refresh_from_db()
    assert sub.status == "past_due"
    assert inv.period_start < timezone.localdate()

    sub = services.trial_extend(subscription=sub, days=10, operator=operator, reason="uji")
    assert sub.status == "trial"
    inv.refresh_from_db()
    start = timezone.localdate() + timedelta(days=11)
    assert _day_after_trial(sub) == start
    assert inv.period_start == start and inv.status == Invoice.Status.OPEN

    services.bank_transfer_confirm(invoice=inv, operator=operator)
    inv.refresh_from_db()
    assert inv.period_start == start


def test_extending_the_trial_leaves_a_void_invoice_and_another_cooperative_alone(
    tenant_a, tenant_b, operator
):
    sub = Subscription.objects.get(cooperative=tenant_a)
    void = _issue(sub, plan_code="kecil")
    _issue(sub, plan_code="sedang")  # replaces (voids) the first
    void.refresh_from_db()
    assert void.status == Invoice.Status.VOID
    other = _issue(Subscription.objects.get(cooperative=tenant_b))

    services.trial_extend(subscription=sub, days=7, operator=operator, reason="uji")

    assert Invoice.objects.get(pk=void.pk).period_start == void.period_start
    assert Invoice.objects.get(pk=other.pk).period_start == other.period_start
    assert AuditEvent.objects.filter(action="billing.invoice_period_moved").count() == 1


# -- the cooperative is told -------------------------------------------------------------


def _moved_mails():
    return [m for m in mail.outbox if "dipindah" in m.subject]


def test_the_billing_contact_is_told_by_one_email_which_invoices_moved_after_commit(
    tenant_a, operator, django_capture_on_commit_callbacks
):
    """An open invoice and one whose proof awaits the operator both move: one e-mail to
    the cooperative's billing address, sent once the extension is committed, naming
    each invoice with its old and new period and due date; the same notice in the app."""
    sub = Subscription.objects.get(cooperative=tenant_a)
    waiting = _issue(sub, plan_code="kecil")
    services.bank_proof_upload(
        invoice=waiting,
        upload=SimpleUploadedFile("bukti.png", PNG, "image/png"),
        by="bendahara",
        amount_claimed=waiting.amount_due,
    )
    open_ = _issue(sub, plan_code="sedang", interval="year")
    before = {inv.pk: Invoice.objects.get(pk=inv.pk) for inv in (waiting, open_)}
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        sub = services.trial_extend(subscription=sub, days=14, operator=operator, reason="uji")
        assert _moved_mails() == []  # nothing leaves before the commit
    assert callbacks

    [message] = _moved_mails()
    assert message.to == [tenant_a.email]
    assert waiting.number in message.subject and open_.number in message.subject
    body = message.body
    with translation.override("id"):
        assert date_format(timezone.localdate(sub.trial_ends_at), "j F Y") in body
        for inv in (waiting, open_):
            was, now = before[inv.pk], Invoice.objects.get(pk=inv.pk)
            block = body[body.index(inv.number) :][:600]

            def d(day):
                return date_format(day, "j F Y")

            assert f"{d(was.period_start)} – {d(was.period_end)}" in block
            assert f"{d(now.period_start)} – {d(now.period_end)}" in block
            assert d(was.due_on) in block and d(now.due_on) in block
            assert inv.reference in block
    assert "menunggu konfirmasi" in body  # the transfer already sent still counts
    assert len(mail.outbox) == 1
    assert Notice.objects.filter(subscription=sub, kind="invoice_period_moved").count() == 1


def test_no_email_when_no_invoice_moved_or_the_extension_is_refused(
    tenant_a, operator, django_capture_on_commit_callbacks
):
    sub = Subscription.objects.get(cooperative=tenant_a)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sub = services.trial_extend(subscription=sub, days=7, operator=operator, reason="uji")
    assert mail.outbox == []  # no invoice to move

    # A void invoice is not moved: nothing to say either.
    void = _issue(sub, plan_code="kecil")
    _issue(sub, plan_code="sedang")  # replaces (voids) the first
    Invoice.objects.filter(subscription=sub, status="open").update(
        status="void", voided_on=timezone.localdate()
    )
    assert Invoice.objects.get(pk=void.pk).status == Invoice.Status.VOID
    with django_capture_on_commit_callbacks(execute=True):
        services.trial_extend(subscription=sub, days=7, operator=operator, reason="uji")
    assert _moved_mails() == []

    # Refused (something was paid): nothing moved, nothing sent.
    paid = _issue(sub)
    services.bank_transfer_confirm(invoice=paid, operator=operator)
    open_ = _issue(sub, plan_code="besar")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ApplicationError):
        services.trial_extend(
            subscription=Subscription.objects.get(pk=sub.pk),
            days=7,
            operator=operator,
            reason="uji",
        )
    assert _moved_mails() == []
    assert Invoice.objects.get(pk=open_.pk).period_start == open_.period_start
    assert not Notice.objects.filter(subscription=sub, kind="invoice_period_moved").exists()


def test_the_extension_email_is_not_sent_when_the_extension_rolls_back(
    tenant_a, operator, django_capture_on_commit_callbacks
):
    """The console's action fails after the invoices moved (its own audit row, say):
    everything rolls back, and no e-mail tells of a move that did not happen."""
    from django.db import transaction

    sub = Subscription.objects.get(cooperative=tenant_a)
    inv = _issue(sub)
    mail.outbox.clear()
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.trial_extend(subscription=sub, days=7, operator=operator, reason="uji")
        raise RuntimeError("console audit failed")
    assert _moved_mails() == []
    assert Invoice.objects.get(pk=inv.pk).period_start == inv.period_start
