"""The in-app notices about a subscription (``Notice``: the billing page, the staff
banner) said in the reader's language.

A notice is the billing e-mail's subject (Indonesian, as the e-mail is), written when the
e-mail is queued. Beside that text it keeps its ``params`` (``notice_params``: the names,
numbers, dates and amounts the subject says, as plain JSON), and is rendered again when
shown (``notice_shown``), through ``core.common.said`` under the code ``notice.<kind>``.
Rendered in Indonesian, a notice says what its e-mail's subject says (the test holds
each kind to it). A notice kept before params (``params`` None) shows its stored text; a
reason the operator typed is shown as typed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.common.money import format_rupiah
from core.common.said import said_register, said_shown


def _day(p: dict, key: str) -> str:
    return date_format(date.fromisoformat(p[key]), "j F Y")


def _numbers(numbers: list[str]) -> str:
    return ", ".join(numbers)


def _archived(p: dict) -> str:
    if p.get("by_operator"):
        return _("%(name)s diarsipkan") % p
    return _("%(name)s diarsipkan karena tagihan langganan belum dibayar") % p


def _voided(p: dict) -> str:
    if p["voided"]:
        return _("Tagihan transfer %(n)s dibatalkan: langganan kini dibayar dengan kartu") % {
            "n": _numbers(p["voided"])
        }
    return _(
        "Tagihan transfer %(n)s menunggu konfirmasi operator, langganan kini dibayar dengan kartu"
    ) % {"n": _numbers(p["left"])}


# What each kind of notice says (its e-mail's subject), by kind.
SUBJECTS: dict[str, Callable[[dict], str]] = {
    "trial_ending": lambda p: _("Masa uji coba %(name)s segera berakhir") % p,
    "trial_ended": lambda p: _("Masa uji coba %(name)s berakhir") % p,
    "payment_failed": lambda p: _("Pembayaran langganan %(name)s gagal") % p,
    "period_ended": lambda p: _("Masa langganan %(name)s berakhir") % p,
    "suspended": lambda p: _("Akses %(name)s ditangguhkan (hanya baca)") % p,
    "restored": lambda p: _("Akses %(name)s telah dipulihkan") % p,
    "archived": _archived,
    "invoice_reminder": lambda p: (
        _("Pengingat tagihan %(number)s jatuh tempo %(due)s")
        % {"number": p["number"], "due": _day(p, "due_on")}
    ),
    "proof_rejected": lambda p: _("Bukti transfer tagihan %(number)s ditolak") % p,
    "payment_confirmed": lambda p: _("Pembayaran %(name)s diterima") % p,
    "subscription_canceled": lambda p: _("Langganan kartu %(name)s dihentikan") % p,
    "bank_invoices_voided": _voided,
    "over_limit": lambda p: _("%(name)s melebihi batas paket %(plan)s") % p,
    "invoice_period_moved": lambda p: (
        _(
            "Masa uji coba diperpanjang sampai %(end)s: tagihan %(numbers)s dipindah ke periode sesudahnya"
        )
        % {"end": _day(p, "trial_ends_on"), "numbers": p["numbers"]}
    ),
    "transfer_partial": lambda p: (
        _("Transfer tagihan %(number)s diterima sebagian: sisa %(rest)s")
        % {"number": p["number"], "rest": format_rupiah(Decimal(p["remaining"]))}
    ),
    "transfer_overpaid": lambda p: (
        _("Tagihan %(number)s lunas, kelebihan transfer %(excess)s menjadi kredit")
        % {"number": p["number"], "excess": format_rupiah(Decimal(p["excess"]))}
    ),
}


def _notice(subject: Callable[[dict], str]) -> Callable[[dict], str]:
    """The subject, and the reason the operator typed (as typed) after it."""

    def render(p: dict) -> str:
        text = subject(p)
        return f"{text}. {_('Alasan')}: {p['reason']}" if p.get("reason") else text

    return render


said_register({f"notice.{kind}": _notice(subject) for kind, subject in SUBJECTS.items()})


def notice_params(kind: str, context: dict) -> dict:
    """What the notice of ``kind`` says, from its e-mail's context, as plain JSON."""
    sub = context["subscription"]
    p: dict = {"name": context["cooperative"].name}
    if context.get("reason"):
        p["reason"] = str(context["reason"])
    invoice = context.get("invoice")
    if invoice is not None:
        p["number"] = invoice.number
    if kind == "archived":
        p["by_operator"] = bool(sub.archived_by_operator or sub.suspended_by_operator)
    elif kind == "invoice_reminder":
        p["due_on"] = invoice.due_on.isoformat()
    elif kind == "bank_invoices_voided":
        p["voided"] = [i.number for i in context.get("voided") or []]
        p["left"] = [i.number for i in context.get("left") or []]
    elif kind == "over_limit":
        p["plan"] = sub.plan.name
    elif kind == "invoice_period_moved":
        p["trial_ends_on"] = context["trial_ends_on"].isoformat()
        p["numbers"] = context["numbers"]
    elif kind == "transfer_partial":
        p["remaining"] = str(context["remaining"])
    elif kind == "transfer_overpaid":
        p["excess"] = str(context["excess"])
    return p


def notice_shown(*, kind: str, params: dict | None, message: str) -> str:
    """A kept notice in the active language; its stored text when kept before params."""
    if params is None:
        return message
    return said_shown({"code": f"notice.{kind}", "params": params, "message": message})
