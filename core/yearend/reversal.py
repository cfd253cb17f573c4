"""Reversing one SHU payout (``shu_payout_reverse``): the treasurer paid the wrong member,
the wrong amount or by the wrong method.

A payout batch is one journal entry: SHU bagian anggota debited per member (one line
each, a member at most once per batch) against one cash or bank line for the batch's
total, or one sukarela credit line per member. One member's payout is reversed on its
own, by a new entry that mirrors that payout's own lines of the batch entry line by
line: its SHU bagian anggota line (same account, member and memo, debit and credit
swapped), and its counterpart (its sukarela credit line swapped, with the savings
movement taken back; for cash or bank, the batch's counter line swapped for this
payout's amount). The batch's other members are untouched, and the lines of every
payout and its reversal net to zero per account and member. The batch entry is not
marked reversed (``JournalEntry.reverses`` is a whole-entry link, once): the link is
``ShuPayout.reversal_entry``, the entry's reference ``yearend:<year>:payout:<pk>:reverse``
(posted once). A payout to the heirs of a member who died is one row and reverses
whole."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.dates import format_tanggal
from core.common.errors import REASON_MAX_LENGTH, ApplicationError, reason_required
from core.common.money import format_rupiah
from core.common.permissions import TREASURY
from core.ledger.models import JournalEntry, JournalLine
from core.ledger.selectors import account_for_role
from core.ledger.services import LineSpec, books_closed_until, journal_post
from core.savings.models import SavingsAccount, SavingsTransaction
from core.savings.services import (
    interest_run_through,
    savings_movement_reverse_apply,
    transactions_link_entry,
)

from .audit import YearEndAudit
from .errors import YearEndErrors as E
from .models import MemberShare, ShuPayout, YearEnd


def _label(payout: ShuPayout) -> str:
    return payout.receipt_number or _("pembayaran SHU #%(n)s") % {"n": payout.pk}


_UNREAD = object()


def payout_reversal_refusal(
    payout: ShuPayout, *, closed_until: date | None | object = _UNREAD
) -> ApplicationError | None:
    """Why ``payout`` cannot be reversed (None: it can), before the reason and the date
    are looked at. Shared by the service and the year page (which offers the button only
    when None, passing ``closed_until`` = ``books_closed_until()`` read once for all
    its payouts)."""
    if payout.reversed_at is not None:
        return ApplicationError(
            E.PAYOUT_REVERSED,
            _("Pembayaran SHU %(r)s sudah dibatalkan.") % {"r": _label(payout)},
            status=409,
        )
    closed = books_closed_until() if closed_until is _UNREAD else closed_until
    if closed is not None and payout.on <= closed:
        return ApplicationError(
            E.REVERSAL_PERIOD_CLOSED,
            _(
                "Pembayaran SHU %(r)s tanggal %(d)s ada di periode yang sudah ditutup "
                "(sampai %(c)s); tidak dapat dibatalkan."
            )
            % {"r": _label(payout), "d": format_tanggal(payout.on), "c": format_tanggal(closed)},
            status=409,
        )
    acc = payout.credited_account if payout.method == ShuPayout.Method.SUKARELA else None
    if acc is not None and acc.status != SavingsAccount.Status.OPEN:
        # the account was paid out and closed since (the exit settlement, SHU included):
        # there is no credit left to take back
        return ApplicationError(
            E.REVERSAL_ACCOUNT_CLOSED,
            _(
                "Pembayaran SHU %(r)s dikreditkan ke simpanan sukarela %(n)s, yang sudah "
                "ditutup pada %(d)s (saldonya, termasuk SHU ini, sudah dibayarkan); tidak "
                "dapat dibatalkan. Bila rekening ditutup oleh penyelesaian keluar anggota, "
                "batalkan dulu penyelesaian keluarnya."
            )
            % {"r": _label(payout), "n": acc.number, "d": format_tanggal(acc.closed_on)},
            status=409,
        )
    return None


def _own_lines(payout: ShuPayout, entry: JournalEntry) -> list[JournalLine]:
    """This payout's lines of its batch entry: its SHU bagian anggota line and its
    sukarela line (cash and bank: the batch's one counter line, taken for the amount)."""
    payable = account_for_role("shu_members_payable")
    lines = list(entry.lines.order_by("id"))
    mine = [
        ln
        for ln in lines
        if ln.account_id == payable.pk
        and ln.member_id == payout.share.member_id
        and ln.debit == payout.amount
    ]
    if payout.method == ShuPayout.Method.SUKARELA:
        acc = payout.credited_account
        counter = [
            ln
            for ln in lines
            if acc is not None
            and ln.account_id == acc.product.account_id
            and ln.member_id == acc.member_id
            and ln.credit == payout.amount
        ]
    else:
        role = "cash" if payout.method == ShuPayout.Method.CASH else "bank"
        counter = [
            ln
            for ln in lines
            if ln.account_id == account_for_role(role).pk and ln.credit >= payout.amount
        ]
    if len(mine) != 1 or not counter:
        # the batch entry does not hold this payout's lines as the payout posts them
        raise ApplicationError(
            E.PAYOUT_INVALID,
            _("Baris jurnal pembayaran SHU %(r)s tidak ditemukan di jurnal %(e)s.")
            % {"r": _label(payout), "e": entry},
            status=409,
        )
    return [mine[0], counter[0]]


@transaction.atomic
def shu_payout_reverse(*, payout: ShuPayout, reason: str, by, on: date | None = None) -> ShuPayout:
    """Reverse one SHU payout (bendahara, admin), with a reason: a new entry dated ``on``
    (today by default; not before the payout, not in the future) mirroring the payout's
    own lines of its batch entry (module docstring); the share unpaid again by the
    amount (SHU bagian anggota owes it again: it can be paid again); credited to
    sukarela, the credit taken back from the account credited (refused when the money
    was withdrawn since: the balance would go below zero). The payout and its receipt
    number stay, marked reversed with the reason (the receipt says *dibatalkan*).
    Refused: reversed already; its month closed; credited to a sukarela account closed
    since (the exit settlement paid it out); the reason missing; credited to
    sukarela, dated into a month whose jasa simpanan was run since
    (``shu_payout_reversal_interest_run``, the savings module's rule). Audited."""
    if getattr(by, "role", None) not in TREASURY:
        raise ApplicationError(
            E.NOT_ALLOWED,
            _("Hanya bendahara atau admin yang dapat membatalkan pembayaran SHU."),
            status=403,
        )
    reason = reason_required(
        reason,
        code=E.REASON_REQUIRED,
        message=_("Alasan pembatalan wajib diisi."),
        max_length=REASON_MAX_LENGTH,
    )
    # the year's row first, as a payout batch locks it: no batch runs meanwhile
    year_end_id = ShuPayout.objects.filter(pk=payout.pk).values_list(
        "share__year_end_id", flat=True
    )
    YearEnd.objects.select_for_update().filter(pk__in=year_end_id).first()
    payout = (
        ShuPayout.objects.select_for_update(of=("self",))
        .select_related(
            "share__member",
            "share__year_end",
            "entry",
            "credited_account__product",
        )
        .get(pk=payout.pk)
    )
    refusal = payout_reversal_refusal(payout)
    if refusal is not None:
        raise refusal
    on = on or timezone.localdate()
    if not isinstance(on, date) or on < payout.on or on > timezone.localdate():
        raise ApplicationError(
            E.REVERSAL_DATE,
            _("Tanggal pembatalan harus antara %(a)s dan hari ini.")
            % {"a": format_tanggal(payout.on)},
            fields={"on": [_("Di luar rentang.")]},
        )
    if payout.method == ShuPayout.Method.SUKARELA and payout.credited_account is not None:
        # dated back into a month whose jasa simpanan was run: the jasa was paid on the
        # balance holding this credit (the savings module's rule for every back-dated
        # cancellation; the web's reversal, dated today, never falls in one)
        product = payout.credited_account.product
        run = interest_run_through(product_id=product.pk, on=on)
        if run is not None:
            raise ApplicationError(
                E.REVERSAL_INTEREST_RUN,
                _(
                    "Pembayaran SHU %(r)s dikreditkan ke simpanan sukarela %(n)s dan jasa "
                    "%(p)s bulan %(m)s sudah dihitung; pembatalan tidak dapat "
                    "bertanggal %(d)s (paling awal sesudah bulan itu)."
                )
                % {
                    "r": _label(payout),
                    "n": payout.credited_account.number,
                    "p": product.name,
                    "m": run.month_shown,
                    "d": format_tanggal(on),
                },
                fields={"on": [_("Bulan ini sudah dihitung jasanya.")]},
            )
    share = MemberShare.objects.select_for_update().get(pk=payout.share_id)
    year = payout.share.year_end.year
    label = _label(payout)
    entry = payout.entry
    own = _own_lines(payout, entry)
    lines = [
        LineSpec(
            account=own[0].account,
            debit=own[0].credit,
            credit=own[0].debit,
            member_id=own[0].member_id,
            memo=own[0].memo,
        ),
        # the counter line swapped: a sukarela line whole (it is this payout's), the
        # batch's cash or bank line for this payout's amount
        LineSpec(
            account=own[1].account,
            debit=payout.amount,
            member_id=own[1].member_id,
            memo=own[1].memo,
        ),
    ]
    back: list[SavingsTransaction] = []
    if payout.method == ShuPayout.Method.SUKARELA:
        txn = (
            SavingsTransaction.objects.filter(
                journal_entry=entry,
                account_id=payout.credited_account_id,
                amount=payout.amount,
                kind=SavingsTransaction.Kind.TRANSFER_IN,
            )
            .exclude(
                pk__in=SavingsTransaction.objects.filter(reverses__isnull=False).values(
                    "reverses_id"
                )
            )
            .order_by("pk")
            .first()
        )
        if txn is None:
            raise ApplicationError(
                E.PAYOUT_INVALID,
                _("Kredit simpanan sukarela pembayaran SHU %(r)s tidak ditemukan.") % {"r": label},
                status=409,
            )

        def overdrawn(account: SavingsAccount) -> ApplicationError:
            return ApplicationError(
                E.REVERSAL_WITHDRAWN,
                _(
                    "Pembayaran SHU %(r)s tidak dapat dibatalkan: SHU %(a)s sudah dikreditkan "
                    "ke simpanan sukarela %(n)s dan saldonya tinggal %(b)s (sudah ditarik). "
                    "Minta anggota menyetor kembali kekurangannya dulu."
                )
                % {
                    "r": label,
                    "a": format_rupiah(payout.amount),
                    "n": account.number,
                    "b": format_rupiah(account.balance),
                },
                status=409,
            )

        back.append(
            savings_movement_reverse_apply(
                txn=txn,
                on=on,
                by=by,
                memo=_("Pembatalan SHU tahun %(y)s: %(r)s") % {"y": year, "r": reason},
                overdrawn=overdrawn,
            )
        )
    rev = journal_post(
        on=on,
        description=_("Pembatalan pembayaran SHU %(y)s %(r)s (%(m)s): %(x)s")
        % {"y": year, "r": label, "m": share.member, "x": reason},
        lines=lines,
        source=JournalEntry.Source.SHU,
        source_ref=f"yearend:{year}:payout:{payout.pk}:reverse",
        by=by,
    )
    if back:
        transactions_link_entry(transactions=back, entry=rev)
    share.paid -= payout.amount
    share.save(update_fields=["paid"])
    payout.reversal_entry = rev
    payout.reversed_at = timezone.now()
    payout.reversed_by = by if getattr(by, "is_authenticated", False) else None
    payout.reversal_reason = reason
    payout.save(update_fields=["reversal_entry", "reversed_at", "reversed_by", "reversal_reason"])
    audit_log(
        actor=by,
        action=YearEndAudit.SHU_PAYOUT_REVERSE,
        target=payout.share.year_end,
        reason=reason,
        data={
            "payout": payout.pk,
            "member": share.member_id,
            "method": payout.method,
            "amount": str(payout.amount),
            "receipt": payout.receipt_number,
            "entry": str(entry),
            "reversal_entry": str(rev),
            "heirs": bool(payout.heirs),
        },
    )
    return payout
