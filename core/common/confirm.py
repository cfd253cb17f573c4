"""The confirmation step of an irreversible action (disburse, pay off, post, close,
reverse): the first POST of the action's form renders this page, saying what will be
posted in rupiah; only the POST carrying ``confirmed=1`` runs the action (and the service
still validates everything). No JavaScript: a plain form posting the same fields again."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.shortcuts import render


@dataclass
class ConfirmLine:
    label: str
    amount: Decimal
    strong: bool = False
    after: Decimal | None = None


@dataclass
class Confirmation:
    title: str
    action: str
    back: str
    button: str
    lines: list[ConfirmLine] = field(default_factory=list)
    intro: str = ""
    note: str = ""
    # what the user must know before confirming (shown as a warning above the figures)
    notice: str = ""
    # why the action would be refused now (the service's own refusal, asked before the
    # page is shown): said up front, with where to resolve it, and no button to confirm
    refusal: str = ""
    refusal_url: str = ""
    refusal_link: str = ""
    fields: list[tuple[str, str]] = field(default_factory=list)
    danger: bool = False
    # the action cancels an earlier one (a reversal): the page says that the reversal
    # itself stays and is corrected by recording the transaction again
    reverses: bool = False
    # how this action is undone, when neither of those sentences fits (a period close
    # posts no transaction: an admin reopens it)
    undo: str = ""

    @property
    def running(self) -> bool:
        return any(line.after is not None for line in self.lines)


def is_confirmed(request) -> bool:
    return request.method == "POST" and request.POST.get("confirmed") == "1"


def carry(request, names: Iterable[str]) -> list[tuple[str, str]]:
    """The action's own form fields, posted again by the confirmation."""
    return [(n, request.POST.get(n, "")) for n in names if n in request.POST]


def confirmation_page(request, confirm: Confirmation):
    return render(request, "common/confirm.html", {"confirm": confirm})
