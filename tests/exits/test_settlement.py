from decimal import Decimal
from uuid import uuid4

import pytest

from core.common.errors import ApplicationError
from core.exits.services import exit_settlement_confirm, exit_settlement_preview
from core.ledger.models import JournalEntry
from core.ledger.selectors import account_balance, account_for_role
from core.ledger.services import LineSpec, journal_post
from core.members.models import Member
from core.savings.models import ExitSettlement, SavingsAccount
from core.savings.services import savings_account_open, teller_deposit
from tests.members import factories as f
from tests.savings.conftest import assert_reconciled

D = Decimal


@pytest.fixture
def saver(products, teller, today):
    m = f.member()
    for kind, amount in (("pokok", "100000"), ("wajib", "1200000"), ("sukarela", "750000")):
        acc = savings_account_open(member=m, product=products[kind], on=today)
        teller_deposit(account=acc, amount=D(amount), channel="bank", on=today, by=teller)
    return m


@pytest.fixture
def bendahara(in_tenant_a):
    return f.user("bendahara")


def test_preview_shows_all_savings_shu_and_net(saver, today, bendahara):
    journal_post(
        on=today,
        description="SHU bagian anggota (uji)",
        source="shu",
        source_ref=f"uji:settlement:{uuid4().hex}",
        lines=[
            LineSpec(account_for_role("shu_current_year"), debit=D("250000")),
            LineSpec(
                account_for_role("shu_members_payable"), credit=D("250000"), member_id=saver.pk
            ),
        ],
        by=bendahara,
    )
    p = exit_settlement_preview(member=saver, on=today)
    assert p.savings_total == D("2050000")
    assert p.shu_unpaid == D("250000")
    assert p.loans_outstanding == 0
    assert p.net_payable == D("2300000")


def test_confirm_posts_closes_accounts_and_sets_status(saver, today, bendahara):
    bank = account_for_role("bank")
    bank_before = account_balance(account=bank)
    s = exit_settlement_confirm(
        member=saver, reason="retired", on=today, by=bendahara, channel="bank"
    )
    assert s.net_payable == D("2050000") and s.payee == "member"
    saver.refresh_from_db()
    assert saver.status == "retired" and saver.exit_date == today
    assert not SavingsAccount.objects.filter(member=saver, status="open").exists()
    assert SavingsAccount.objects.filter(member=saver).count() == 3  # nothing deleted
    assert set(SavingsAccount.objects.filter(member=saver).values_list("balance", flat=True)) == {
        D("0")
    }
    assert bank_before - account_balance(account=bank) == D("2050000")
    entry = JournalEntry.objects.get(pk=s.journal_entry_id)
    assert entry.source == "member"
    assert saver.changes.filter(field="status", new_value="retired").exists()
    assert_reconciled()
    # a second confirmation is refused
    with pytest.raises(ApplicationError) as e:
        exit_settlement_confirm(member=saver, reason="retired", on=today, by=bendahara)
    assert e.value.code == "settlement_member_not_active"


def test_settled_member_takes_no_more_deposits(saver, today, bendahara, products, teller):
    exit_settlement_confirm(member=saver, reason="resigned", on=today, by=bendahara)
    acc = SavingsAccount.objects.filter(member=saver).first()
    with pytest.raises(ApplicationError) as e:
        teller_deposit(account=acc, amount=D("1000"), channel="cash", on=today, by=teller)
    assert e.value.code == "savings_account_closed"
    with pytest.raises(ApplicationError):
        savings_account_open(
            member=Member.objects.get(pk=saver.pk), product=products["sukarela"], on=today
        )


def test_death_pays_heirs(saver, today, bendahara):
    from core.members.services import heir_add

    heir_add(member=saver, by=bendahara, full_name="Maria Tingang", relationship="istri")
    s = exit_settlement_confirm(member=saver, reason="deceased", on=today, by=bendahara)
    assert s.payee == "heirs" and s.payee_name == "Maria Tingang"
    assert_reconciled()


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"reason": "active"}, "settlement_bad_reason"),
        (
            {
                "reason": "resigned",
                "waive_loans": True,
                "waiver_reason": "x",
                "board_decision_ref": "1",
            },
            "settlement_bad_waiver",
        ),
        (
            {
                "reason": "deceased",
                "waive_loans": True,
                "waiver_reason": "",
                "board_decision_ref": "SK-1",
            },
            "settlement_bad_waiver",
        ),
        ({"reason": "resigned", "channel": "gopay"}, "savings_bad_channel"),
        ({"reason": "resigned", "expected_net": D("1")}, "settlement_changed"),
    ],
)
def test_bad_settlement_input_refused_nothing_written(saver, today, bendahara, kwargs, code):
    before = (JournalEntry.objects.count(), ExitSettlement.objects.count())
    with pytest.raises(ApplicationError) as e:
        exit_settlement_confirm(member=saver, on=today, by=bendahara, **kwargs)
    assert e.value.code == code
    assert (JournalEntry.objects.count(), ExitSettlement.objects.count()) == before
    saver.refresh_from_db()
    assert saver.status == "active"
    assert SavingsAccount.objects.filter(member=saver, status="open").count() == 3


def test_exit_settlement_is_immutable(saver, today, bendahara):
    from django.db import IntegrityError, transaction

    s = exit_settlement_confirm(member=saver, reason="moved", on=today, by=bendahara)
    with pytest.raises(IntegrityError), transaction.atomic():
        ExitSettlement.objects.filter(pk=s.pk).update(net_payable=D("1"))
    with pytest.raises(IntegrityError), transaction.atomic():
        ExitSettlement.objects.filter(pk=s.pk).delete()


# --- issue 17 item 8: no fallback turns an error into zero --------------------------


def test_unmapped_shu_account_stops_the_settlement_instead_of_reading_zero(saver, today, bendahara):
    from core.ledger.models import AccountRole

    AccountRole.objects.filter(key="shu_members_payable").delete()
    with pytest.raises(ApplicationError) as e:
        exit_settlement_preview(member=saver, on=today)
    assert "shu_members_payable" in str(e.value.message)
    before = (JournalEntry.objects.count(), ExitSettlement.objects.count())
    with pytest.raises(ApplicationError):
        exit_settlement_confirm(member=saver, reason="resigned", on=today, by=bendahara)
    assert (JournalEntry.objects.count(), ExitSettlement.objects.count()) == before
    saver.refresh_from_db()
    assert saver.is_active
    assert SavingsAccount.objects.filter(member=saver, status="open").count() == 3


def test_a_failing_loan_read_stops_the_settlement(saver, today, bendahara, monkeypatch):
    """The loans module's answer is used as it is; when it fails, the settlement fails with
    it (no ``except``: the old code took a TypeError as 'call without the date')."""
    import core.exits.services as settlement

    def broken(member, on):
        raise TypeError("loan quote failed")

    monkeypatch.setattr(settlement, "member_loans_outstanding", broken)
    before = (JournalEntry.objects.count(), ExitSettlement.objects.count())
    with pytest.raises(TypeError):
        exit_settlement_confirm(member=saver, reason="resigned", on=today, by=bendahara)
    assert (JournalEntry.objects.count(), ExitSettlement.objects.count()) == before
    saver.refresh_from_db()
    assert saver.is_active


def test_settlement_reads_the_outstanding_key_only(saver, today, bendahara, monkeypatch):
    """A loan row without ``outstanding`` is an error, not a guess among other keys."""
    import core.exits.services as settlement

    monkeypatch.setattr(
        settlement,
        "member_loans_outstanding",
        lambda member, on: [{"label": "P-1", "total": D("500000")}],
    )
    with pytest.raises(KeyError):
        exit_settlement_preview(member=saver, on=today)


def test_exit_dated_before_the_members_last_savings_movement_refused(saver, today, bendahara):
    """The savings were deposited today; a settlement dated 40 days ago would withdraw
    money that was not there yet (the account's running balance negative in between) and
    could never be reversed (the deposits count as "later" movements). Refused, naming
    the last movement's date; nothing written."""
    from datetime import timedelta

    before = (JournalEntry.objects.count(), ExitSettlement.objects.count())
    with pytest.raises(ApplicationError) as e:
        exit_settlement_confirm(
            member=saver, reason="resigned", on=today - timedelta(days=40), by=bendahara
        )
    assert e.value.code == "settlement_bad_date" and "on" in e.value.fields
    assert (JournalEntry.objects.count(), ExitSettlement.objects.count()) == before
    assert Member.objects.get(pk=saver.pk).status == "active"


def test_exit_dated_before_the_member_joined_refused(in_tenant_a, today, bendahara):
    from datetime import timedelta

    m = f.member(join_date=today - timedelta(days=10))
    with pytest.raises(ApplicationError) as e:
        exit_settlement_confirm(
            member=m, reason="resigned", on=today - timedelta(days=20), by=bendahara
        )
    assert e.value.code == "settlement_bad_date"
    assert Member.objects.get(pk=m.pk).status == "active"


def test_exit_refused_while_a_payroll_posting_for_the_member_is_running(saver, today, bendahara):
    """ "Post every agency" of a month is running and this member's line is not posted
    yet: settling now would pay out savings the batch is about to credit (or make the
    batch fail on a member who left). Refused until the posting is done; then allowed."""
    from django.utils import timezone

    from core.deductions.models import DeductionImport, DeductionLine, DeductionRun

    run = DeductionRun.objects.create(
        year=today.year,
        month=today.month,
        cutoff_date=today,
        status=DeductionRun.Status.READY,
        posting_status=DeductionRun.PostingStatus.RUNNING,
        posting_total=1,
        posting_started_at=timezone.now(),
    )
    line = DeductionLine.objects.create(
        run=run,
        member=saver,
        agency=saver.agency,
        member_number=saver.number,
        nip=saver.nip,
        full_name=saver.full_name,
        wajib=D("100000"),
        total=D("100000"),
    )
    # the agency's realized file, queued by "post every agency"
    DeductionImport.objects.create(
        run=run,
        agency=saver.agency,
        file_name="realisasi.xlsx",
        file_hash="x" * 64,
        status=DeductionImport.Status.VALID,
        rows=[{"row": 2, "line_id": line.pk, "amount": "100000"}],
        total_realized=D("100000"),
    )
    with pytest.raises(ApplicationError) as e:
        exit_settlement_confirm(member=saver, reason="resigned", on=today, by=bendahara)
    assert e.value.code == "settlement_payroll_posting" and e.value.status_code == 409
    # the month in words, in the reader's language (it said "12/2026")
    from django.utils import translation

    from core.common.dates import format_bulan

    assert f"Potong gaji bulan {format_bulan(today)} sedang diposting" in e.value.message
    with translation.override("en"), pytest.raises(ApplicationError) as e_en:
        exit_settlement_confirm(member=saver, reason="resigned", on=today, by=bendahara)
    with translation.override("en"):
        bulan_en = format_bulan(today)
    assert f"The payroll deductions of {bulan_en} are being posted" in e_en.value.message
    assert Member.objects.get(pk=saver.pk).status == "active"
    assert not ExitSettlement.objects.filter(member=saver).exists()
    run.posting_status = DeductionRun.PostingStatus.DONE
    run.posting_done = 1
    run.save()
    exit_settlement_confirm(member=saver, reason="resigned", on=today, by=bendahara)
    assert Member.objects.get(pk=saver.pk).status == "resigned"


def test_payout_to_heirs_refused_without_heirs_or_for_a_living_member(saver, today, bendahara):
    """A deceased member with no heir registered: paying "the heirs" would record a
    payout to nobody (an empty name on the settlement). A member who resigned has no
    heirs to be paid. Both refused on the payee field; nothing written."""
    before = (JournalEntry.objects.count(), ExitSettlement.objects.count())
    for reason in ("deceased", "resigned"):
        with pytest.raises(ApplicationError) as e:
            exit_settlement_confirm(
                member=saver, reason=reason, on=today, by=bendahara, payee="heirs"
            )
        assert e.value.code == "settlement_bad_payee" and "payee" in e.value.fields
    with pytest.raises(ApplicationError) as e:  # the default payee on death is the heirs
        exit_settlement_confirm(member=saver, reason="deceased", on=today, by=bendahara)
    assert e.value.code == "settlement_bad_payee"
    assert (JournalEntry.objects.count(), ExitSettlement.objects.count()) == before
    assert Member.objects.get(pk=saver.pk).status == "active"


@pytest.mark.parametrize("role", ["petugas", "pengawas", "anggota"])
def test_settlement_service_refuses_roles_the_screen_refuses(saver, today, role):
    """Only bendahara, admin or ketua settle an exit (as the screen): the service itself
    refuses anyone else, so no other path (a task, a script, a future API) pays out."""
    before = (JournalEntry.objects.count(), ExitSettlement.objects.count())
    with pytest.raises(ApplicationError) as e:
        exit_settlement_confirm(member=saver, reason="resigned", on=today, by=f.user(role))
    assert e.value.code == "permission_denied" and e.value.status_code == 403
    assert (JournalEntry.objects.count(), ExitSettlement.objects.count()) == before
    assert Member.objects.get(pk=saver.pk).status == "active"


def test_death_splits_the_payout_among_the_heirs_in_whole_rupiah(saver, today, bendahara):
    """Three heirs of a third each (33,33 %): the settlement names each heir with their
    amount in whole rupiah, by their shares, the amounts adding up to the payout exactly
    (the rupiah left by rounding to the largest remainder, then the heir recorded
    first); the settlement page shows them."""
    from django.test import Client
    from django.urls import reverse

    from core.members.services import heir_add
    from tenants.services import tenant_host

    for name in ("Maria", "Yohanes", "Lusia"):
        heir_add(
            member=saver,
            by=bendahara,
            full_name=name,
            relationship="anak",
            share_percent=D("33.33"),
        )
    s = exit_settlement_confirm(member=saver, reason="deceased", on=today, by=bendahara)
    assert s.net_payable == D("2050000")
    heirs = [(h["name"], h["share_percent"], h["amount"]) for h in s.details["heirs"]]
    assert heirs == [
        ("Maria", "33.33", "683334"),
        ("Yohanes", "33.33", "683333"),
        ("Lusia", "33.33", "683333"),
    ]
    assert sum(D(h["amount"]) for h in s.details["heirs"]) == s.net_payable
    c = Client(HTTP_HOST=tenant_host("alpha"))
    c.force_login(bendahara)
    page = c.get(reverse("exits:settle", args=[saver.pk])).content.decode()
    assert "Maria" in page and "Rp 683.334" in page and "Rp 683.333" in page
    assert "33,33%" in page and "33.33%" not in page


def test_a_living_member_is_paid_whole_and_names_no_heirs(saver, today, bendahara):
    s = exit_settlement_confirm(member=saver, reason="resigned", on=today, by=bendahara)
    assert s.details.get("heirs", []) == []


def test_preview_includes_last_months_interest_when_it_was_not_run(
    products, teller, today, bendahara, client_a
):
    """An exit closes the accounts, and the monthly jasa simpanan only reaches open ones:
    a member leaving before last month's interest is run would lose it. The settlement
    credits it instead — its own line, the product and month named, in the payout (no
    warning to ignore) — until the month is run, when there is nothing left to credit.
    (The full behaviour: tests/exits/test_settlement_interest.py.)"""
    from datetime import timedelta

    from django.utils.html import escape

    from core.common.dates import MONTHS_ID
    from core.ledger.services import fiscal_year_ensure
    from core.savings.services import savings_interest_accrue

    m = f.member()
    opened = today.replace(day=1) - timedelta(days=40)
    fiscal_year_ensure(year=opened.year)  # in January: last year, opened as an admin would
    acc = savings_account_open(member=m, product=products["sukarela"], on=opened)
    teller_deposit(account=acc, amount=D("5000000"), channel="bank", on=opened, by=teller)
    last = today.replace(day=1) - timedelta(days=1)
    p = exit_settlement_preview(member=m, on=today)
    assert p.warnings == []
    assert len(p.interest) == 1
    assert products["sukarela"].name in p.interest[0]["label"]
    assert f"{MONTHS_ID[last.month - 1]} {last.year}" in p.interest[0]["label"]
    assert p.interest_total == D("12500")  # 5,000,000 × 3 % / 12
    assert p.net_payable == D("5012500")
    client_a.force_login(bendahara)
    page = client_a.get(f"/anggota/{m.pk}/keluar/")
    assert page.status_code == 200
    assert escape(p.interest[0]["label"]) in page.content.decode()
    assert "sudah termasuk dalam penyelesaian" in page.content.decode()
    savings_interest_accrue(
        product=products["sukarela"], year=last.year, month=last.month, by=bendahara
    )
    p = exit_settlement_preview(member=m, on=today)
    assert p.interest == [] and p.warnings == [] and p.net_payable == D("5012500")
