"""Early withdrawal (pencairan sebelum jatuh tempo) of a berjangka / hari raya account:
the bendahara pays the balance out before the payout date, with a reason; the product's
optional penalty (a percentage of the balance, rounded down to whole rupiah, or a fixed
amount) goes to penalty income in the same journal entry; the account closes; the
receipt is in the withdrawal series; the reversal restores everything."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.ledger.models import JournalEntry
from core.ledger.selectors import account_balance, account_for_role, balances_check
from core.savings.models import SavingsAccount, SavingsTransaction
from core.savings.services import (
    savings_account_open,
    savings_early_withdraw,
    savings_early_withdrawal_preview,
    savings_product_update,
    teller_deposit,
    teller_reverse,
    teller_withdraw,
)
from tests.members import factories as f

from .conftest import assert_reconciled

D = Decimal


@pytest.fixture
def bendahara(in_tenant_a):
    return f.user("bendahara")


@pytest.fixture
def hari_raya(products, member_a, teller, today):
    p = products["berjangka"]
    p.payout_date = today + timedelta(days=100)
    p.save()
    acc = savings_account_open(member=member_a, product=p, on=today - timedelta(days=60))
    teller_deposit(account=acc, amount=D("333333"), channel="cash", on=today, by=teller)
    acc.refresh_from_db()
    return acc


def _penalty(product, kind, value, by):
    savings_product_update(
        product=product, by=by, early_penalty_type=kind, early_penalty_value=D(value)
    )


def _counts():
    return SavingsTransaction.objects.count(), JournalEntry.objects.count()


def _lines(entry):
    """{(account code, "D"|"C"): total}: the savings debit is two lines when there is a
    penalty (the net paid, and the penalty marked non-cash), summed here."""
    out: dict = {}
    for ln in entry.lines.select_related("account"):
        key = (ln.account.code, "D" if ln.debit else "C")
        out[key] = out.get(key, D(0)) + (ln.debit or ln.credit)
    return out


def test_percentage_penalty_rounded_down_goes_to_income_and_the_account_closes(
    hari_raya, bendahara, today
):
    p = hari_raya.product
    _penalty(p, "percent", "2", bendahara)
    preview = savings_early_withdrawal_preview(account=hari_raya, on=today)
    # 2 % of 333.333 = 6.666,66: rounded down to whole rupiah, in the member's favour
    assert (preview.balance, preview.penalty, preview.net) == (
        D("333333"),
        D("6666"),
        D("326667"),
    )
    txn = savings_early_withdraw(
        account=hari_raya, on=today, channel="cash", reason="biaya rumah sakit", by=bendahara
    )
    assert txn.kind == SavingsTransaction.Kind.EARLY_PAYOUT
    assert txn.amount == D("326667") and txn.receipt_number.startswith("TAR-")
    penalty = SavingsTransaction.objects.get(
        account=hari_raya, kind=SavingsTransaction.Kind.EARLY_PENALTY
    )
    assert penalty.amount == D("6666") and penalty.journal_entry_id == txn.journal_entry_id
    income = account_for_role("penalty_income")
    lines = _lines(txn.journal_entry)
    assert lines[(p.account.code, "D")] == D("333333")
    assert lines[(account_for_role("cash").code, "C")] == D("326667")
    assert lines[(income.code, "C")] == D("6666")
    assert account_balance(account=income) == D("6666")
    hari_raya.refresh_from_db()
    assert hari_raya.status == SavingsAccount.Status.CLOSED
    assert hari_raya.closed_on == today and hari_raya.balance == 0
    ev = AuditEvent.objects.get(action="savings.early_withdraw", target_id=str(hari_raya.pk))
    assert ev.reason == "biaya rumah sakit"
    assert ev.data["penalty"] == "6666.00" and ev.data["net"] == "326667.00"
    assert_reconciled()
    assert balances_check() == []


def test_fixed_penalty(hari_raya, bendahara, today):
    _penalty(hari_raya.product, "fixed", "25000", bendahara)
    txn = savings_early_withdraw(
        account=hari_raya, on=today, channel="bank", reason="darurat", by=bendahara
    )
    assert txn.amount == D("308333")
    assert account_balance(account=account_for_role("penalty_income")) == D("25000")
    assert_reconciled()


def test_no_penalty_by_default_pays_the_whole_balance(hari_raya, bendahara, today):
    preview = savings_early_withdrawal_preview(account=hari_raya, on=today)
    assert preview.penalty == 0 and preview.net == D("333333")
    txn = savings_early_withdraw(
        account=hari_raya, on=today, channel="cash", reason="sakit", by=bendahara
    )
    assert txn.amount == D("333333")
    assert not SavingsTransaction.objects.filter(kind="early_penalty").exists()
    assert len(txn.journal_entry.lines.all()) == 2
    assert_reconciled()


def test_petugas_may_not_pay_out_early(hari_raya, teller, today):
    before = _counts()
    with pytest.raises(ApplicationError) as e:
        savings_early_withdraw(
            account=hari_raya, on=today, channel="cash", reason="sakit", by=teller
        )
    assert e.value.status_code == 403
    assert _counts() == before


def test_reason_is_required(hari_raya, bendahara, today):
    before = _counts()
    with pytest.raises(ApplicationError) as e:
        savings_early_withdraw(
            account=hari_raya, on=today, channel="cash", reason=" ", by=bendahara
        )
    assert "Alasan" in e.value.message and "reason" in e.value.fields
    assert _counts() == before


def test_on_or_after_the_payout_date_the_normal_payout_applies(hari_raya, bendahara, today):
    with pytest.raises(ApplicationError) as e:
        savings_early_withdrawal_preview(account=hari_raya, on=hari_raya.payout_date)
    assert e.value.code == "savings_not_early"
    assert "Penarikan" in e.value.message


def test_not_for_sukarela(products, member_a, bendahara, teller, today):
    acc = savings_account_open(member=member_a, product=products["sukarela"], on=today)
    teller_deposit(account=acc, amount=D("100000"), channel="cash", on=today, by=teller)
    with pytest.raises(ApplicationError) as e:
        savings_early_withdraw(account=acc, on=today, channel="cash", reason="x", by=bendahara)
    assert e.value.code == "savings_not_withdrawable"


def test_penalty_not_below_the_balance_is_refused(hari_raya, bendahara, today):
    _penalty(hari_raya.product, "fixed", "333333", bendahara)
    before = _counts()
    with pytest.raises(ApplicationError) as e:
        savings_early_withdraw(
            account=hari_raya, on=today, channel="cash", reason="sakit", by=bendahara
        )
    assert e.value.code == "savings_penalty_exceeds_balance"
    assert "Rp 333.333" in e.value.message
    assert _counts() == before


def test_confirmed_against_the_figure_shown(hari_raya, bendahara, today):
    _penalty(hari_raya.product, "percent", "2", bendahara)
    with pytest.raises(ApplicationError) as e:
        savings_early_withdraw(
            account=hari_raya,
            on=today,
            channel="cash",
            reason="sakit",
            by=bendahara,
            expected_net=D("333333"),
        )
    assert e.value.code == "savings_figure_changed"
    hari_raya.refresh_from_db()
    assert hari_raya.status == "open"


def test_reversal_restores_balance_penalty_and_reopens_the_account(hari_raya, bendahara, today):
    _penalty(hari_raya.product, "percent", "2", bendahara)
    txn = savings_early_withdraw(
        account=hari_raya, on=today, channel="cash", reason="sakit", by=bendahara
    )
    teller_reverse(txn=txn, on=today, reason="salah rekening", by=bendahara)
    hari_raya.refresh_from_db()
    assert hari_raya.status == "open" and hari_raya.closed_on is None
    assert hari_raya.balance == D("333333")
    assert account_balance(account=account_for_role("penalty_income")) == 0
    assert SavingsTransaction.objects.filter(account=hari_raya, kind="reversal").count() == 2
    txn.refresh_from_db()
    assert txn.receipt_number.startswith("TAR-")  # the receipt stays, marked reversed
    assert AuditEvent.objects.filter(action="savings.reverse", target_id=str(hari_raya.pk))
    assert_reconciled()
    assert balances_check() == []
    # a second cancellation is refused
    with pytest.raises(ApplicationError):
        teller_reverse(txn=txn, on=today, reason="lagi", by=bendahara)


def test_reversal_refused_when_a_new_account_of_the_product_was_opened(hari_raya, bendahara, today):
    txn = savings_early_withdraw(
        account=hari_raya, on=today, channel="cash", reason="sakit", by=bendahara
    )
    savings_account_open(member=hari_raya.member, product=hari_raya.product, on=today)
    with pytest.raises(ApplicationError) as e:
        teller_reverse(txn=txn, on=today, reason="salah", by=bendahara)
    assert e.value.code == "savings_account_already_open"
    hari_raya.refresh_from_db()
    assert hari_raya.status == "closed"


def test_normal_withdrawal_before_the_payout_date_still_refused(hari_raya, teller, today):
    with pytest.raises(ApplicationError) as e:
        teller_withdraw(account=hari_raya, amount=D("1000"), channel="cash", on=today, by=teller)
    assert e.value.code == "savings_not_withdrawable"


@pytest.mark.parametrize(
    ("kind", "value", "field"),
    [
        ("percent", "101", "early_penalty_value"),
        ("fixed", "1000.50", "early_penalty_value"),
        ("percent", "0", "early_penalty_value"),
        ("bogus", "1", "early_penalty_type"),
    ],
)
def test_penalty_settings_validated(products, bendahara, kind, value, field):
    with pytest.raises(ApplicationError) as e:
        _penalty(products["berjangka"], kind, value, bendahara)
    assert field in e.value.fields


def test_penalty_only_on_berjangka_products(products, bendahara):
    with pytest.raises(ApplicationError) as e:
        _penalty(products["sukarela"], "fixed", "1000", bendahara)
    assert "early_penalty_type" in e.value.fields


# --- screen and API -------------------------------------------------------------------


@pytest.fixture
def client_for(tenant_a):
    from tenants.services import tenant_host

    def make(user) -> Client:
        c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
        c.force_login(user)
        return c

    return make


def test_screen_previews_balance_penalty_and_net_then_pays_out(hari_raya, bendahara, client_for):
    _penalty(hari_raya.product, "percent", "2", bendahara)
    c = client_for(bendahara)
    url = reverse("savings:early_withdraw", args=[hari_raya.pk])
    page = c.get(reverse("savings:account", args=[hari_raya.pk])).content.decode()
    assert url in page  # the bendahara sees the form on the account page
    r = c.post(url, {"reason": "biaya rumah sakit", "channel": "cash"})
    body = r.content.decode()
    assert r.status_code == 200
    assert "Rp 333.333" in body and "Rp 6.666" in body and "Rp 326.667" in body
    hari_raya.refresh_from_db()
    assert hari_raya.status == "open"  # the preview changes nothing
    r = c.post(
        url,
        {
            "reason": "biaya rumah sakit",
            "channel": "cash",
            "expected_net": "326667",
            "confirmed": "1",
        },
    )
    assert r.status_code == 302
    hari_raya.refresh_from_db()
    assert hari_raya.status == "closed"
    assert_reconciled()


def test_screen_shows_the_refusal_in_indonesian(hari_raya, bendahara, client_for):
    c = client_for(bendahara)
    url = reverse("savings:early_withdraw", args=[hari_raya.pk])
    r = c.post(url, {"reason": "", "channel": "cash"}, follow=True)
    assert "Alasan pencairan dini wajib diisi" in r.content.decode()
    hari_raya.refresh_from_db()
    assert hari_raya.status == "open"


def test_petugas_has_no_early_withdrawal_screen(hari_raya, teller, client_for):
    c = client_for(teller)
    page = c.get(reverse("savings:account", args=[hari_raya.pk])).content.decode()
    url = reverse("savings:early_withdraw", args=[hari_raya.pk])
    assert url not in page
    assert c.post(url, {"reason": "x", "channel": "cash"}).status_code == 403


def test_api_preview_and_payout(hari_raya, bendahara, teller, client_for):
    _penalty(hari_raya.product, "fixed", "25000", bendahara)
    url = f"/api/v1/savings/accounts/{hari_raya.pk}/early-withdrawal/"
    c = client_for(bendahara)
    r = c.get(url)
    assert r.status_code == 200
    assert r.json()["balance"] == "333333.00"
    assert r.json()["penalty"] == "25000.00" and r.json()["net"] == "308333.00"
    r = c.post(url, {"reason": "", "channel": "cash"}, content_type="application/json")
    assert r.status_code == 400
    assert (
        client_for(teller)
        .post(url, {"reason": "sakit", "channel": "cash"}, content_type="application/json")
        .status_code
        == 403
    )
    r = c.post(
        url,
        {"reason": "sakit", "channel": "cash", "expected_net": "308.333"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    assert r.json()["transaction"]["receipt_number"].startswith("TAR-")
    assert r.json()["penalty"] == "25000.00" and r.json()["net"] == "308333.00"
    hari_raya.refresh_from_db()
    assert hari_raya.status == "closed"


def test_receipt_pdf_of_an_early_withdrawal(hari_raya, bendahara, client_for):
    from django.utils import timezone

    from core.savings.pdf import receipt_pdf

    _penalty(hari_raya.product, "fixed", "25000", bendahara)
    txn = savings_early_withdraw(
        account=hari_raya, on=timezone.localdate(), channel="cash", reason="sakit", by=bendahara
    )
    assert receipt_pdf(txn=txn).startswith(b"%PDF")
    r = client_for(bendahara).get(reverse("savings:receipt", args=[txn.pk]))
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"


def _product_form(p, **extra):
    return {
        "save_product": "1",
        "name": p.name,
        "amount": "100000",
        "minimum_balance": "0",
        "interest_rate_annual": "0",
        "interest_basis": "minimum",
        "tax_threshold": "0",
        "tax_rate": "0",
        "term_months": "10",
        "is_active": "on",
        **extra,
    }


@pytest.mark.parametrize(
    ("kind", "typed", "stored"),
    [("percent", "2,5", D("2.5")), ("fixed", "25.000", D("25000")), ("none", "", D("0"))],
)
def test_product_screen_sets_the_penalty_as_typed(
    products, bendahara, client_for, kind, typed, stored
):
    from core.savings.models import SavingsProduct

    p = products["berjangka"]
    url = reverse("savings:product", args=[p.pk])
    r = client_for(bendahara).post(
        url, _product_form(p, early_penalty_type=kind, early_penalty_value=typed)
    )
    assert r.status_code == 302, r.content.decode()[-2000:]
    p = SavingsProduct.objects.get(pk=p.pk)
    assert (p.early_penalty_type, p.early_penalty_value) == (kind, stored)
    page = client_for(bendahara).get(url).content.decode()
    if kind != "none":
        assert f'value="{typed}"' in page


def test_product_screen_refuses_a_penalty_over_100_percent(products, bendahara, client_for):
    p = products["berjangka"]
    r = client_for(bendahara).post(
        reverse("savings:product", args=[p.pk]),
        _product_form(p, early_penalty_type="percent", early_penalty_value="150"),
    )
    assert r.status_code == 200
    p.refresh_from_db()
    assert p.early_penalty_type == "none"


def test_exit_reversal_leaves_an_account_closed_by_early_withdrawal_closed(
    hari_raya, bendahara, teller, products, today
):
    """An early withdrawal and an exit settlement the same day: reversing the exit
    reopens the accounts the exit closed, not the one the early withdrawal closed."""
    from core.exits.services import exit_settlement_confirm, exit_settlement_reverse

    member = hari_raya.member
    suk = savings_account_open(member=member, product=products["sukarela"], on=today)
    teller_deposit(account=suk, amount=D("50000"), channel="cash", on=today, by=teller)
    savings_early_withdraw(account=hari_raya, on=today, channel="cash", reason="x", by=bendahara)
    settlement = exit_settlement_confirm(
        member=member, reason="resigned", on=today, by=bendahara, channel="cash"
    )
    exit_settlement_reverse(settlement=settlement, by=bendahara, reason="salah", on=today)
    hari_raya.refresh_from_db()
    suk.refresh_from_db()
    assert suk.status == "open" and suk.balance == D("50000")
    assert hari_raya.status == "closed" and hari_raya.balance == 0
    assert_reconciled()


def test_screen_cancels_an_early_withdrawal_on_the_closed_account(hari_raya, bendahara, client_for):
    from django.utils import timezone

    _penalty(hari_raya.product, "percent", "2", bendahara)
    txn = savings_early_withdraw(
        account=hari_raya, on=timezone.localdate(), channel="cash", reason="sakit", by=bendahara
    )
    c = client_for(bendahara)
    url = reverse("savings:transaction_reverse", args=[txn.pk])
    page = c.get(reverse("savings:account", args=[hari_raya.pk])).content.decode()
    assert url in page and "Rekening ditutup" in page
    c.post(url, {"reason": "salah rekening", "confirmed": "1"})
    hari_raya.refresh_from_db()
    assert hari_raya.status == "open" and hari_raya.balance == D("333333")
    assert_reconciled()


def test_paying_out_early_twice_is_refused_and_posts_nothing_more(hari_raya, bendahara, today):
    """A double click (the second request holding the account as it was before the
    first): the account is closed by the first payout, the second is refused and the
    books, the receipts and the penalty income stay as the first left them."""
    _penalty(hari_raya.product, "percent", "10", bendahara)
    stale = SavingsAccount.objects.get(pk=hari_raya.pk)  # read before the first payout
    savings_early_withdraw(
        account=hari_raya, on=today, channel="cash", reason="sakit", by=bendahara
    )
    before = _counts()
    income = account_balance(account=account_for_role("penalty_income"))
    with pytest.raises(ApplicationError):
        savings_early_withdraw(
            account=stale, on=today, channel="cash", reason="sakit", by=bendahara
        )
    assert _counts() == before
    assert account_balance(account=account_for_role("penalty_income")) == income == D("33333")
    stale.refresh_from_db()
    assert stale.balance == 0
    assert balances_check() == []
    assert_reconciled()
