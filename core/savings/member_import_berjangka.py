"""Opening balances of purpose savings (berjangka: Simpanan Hari Raya, Qurban, ...) in the
member import: one column per active berjangka product.

The template names the column after the product's code, ``saldo_<code>`` (``saldo_shr``
for Simpanan Hari Raya); a header naming the product is read too (``Saldo Simpanan Hari
Raya``, ``saldo_hari_raya``). Headers are compared without case, spaces or punctuation.
Codes go first (they are unique); a name that two products share, or that is another
product's code column or one of the fixed columns (``saldo_pokok`` ...), names none.

Any other header starting with ``saldo`` is a balance column too, so that a value under
it is a row error saying which product it does not name (unknown, not berjangka, not
active) instead of the whole file being refused; an empty one is ignored.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.common.dates import format_date
from core.common.money import format_rupiah
from core.common.spreadsheet import cell_rupiah, norm_header

from .models import SavingsProduct

PREFIX = "saldo"


def _loose(header: Any) -> str:
    return norm_header(header)


def term_total(product: SavingsProduct) -> Decimal | None:
    """The most a berjangka account holds: the monthly amount times the term (the cap
    every deposit is checked against); None when the product has no term."""
    if not product.term_months:
        return None
    return product.amount * product.term_months


@dataclass
class BerjangkaColumns:
    """The balance columns the import knows, read once per file."""

    fixed: dict[str, str]  # the fixed balance columns: header -> kind
    by_key: dict[str, SavingsProduct] = field(default_factory=dict)  # loose header -> product
    active: list[tuple[str, SavingsProduct]] = field(default_factory=list)  # template columns

    def is_balance_header(self, header: str) -> bool:
        """A header the import reads as an opening balance of a berjangka product (or
        means to: ``saldo_…`` that is not one of the fixed columns)."""
        key = _loose(header)
        return key.startswith(PREFIX) and key not in {_loose(h) for h in self.fixed}

    def product_for(self, header: str) -> SavingsProduct | None:
        return self.by_key.get(_loose(header))

    def known(self) -> str:
        """The berjangka columns of the template, for error messages."""
        return ", ".join(f"{h} ({p.name})" for h, p in self.active) or "-"

    def read(
        self, header: str, value: Any, *, max_value: Decimal
    ) -> tuple[SavingsProduct, Decimal]:
        """The product and whole-rupiah amount of a non-empty cell of a berjangka column.
        Raises ValidationError with the row's message: no such product, not berjangka,
        not active, not a whole non-negative rupiah, more than the product's term total."""
        product = self.product_for(header)
        if product is None:
            what = header[len(PREFIX) :].strip(" _-") if header.startswith(PREFIX) else header
            if not self.active:
                raise ValidationError(
                    _(
                        "Tidak ada produk simpanan '%(h)s', dan koperasi belum punya produk "
                        "simpanan berjangka yang aktif; tambahkan produknya dulu."
                    )
                    % {"h": what}
                )
            raise ValidationError(
                _(
                    "Tidak ada produk simpanan dengan kode atau nama '%(h)s'. Kolom saldo "
                    "simpanan berjangka yang dikenal: %(c)s."
                )
                % {"h": what, "c": self.known()}
            )
        if product.kind != SavingsProduct.Kind.BERJANGKA:
            column = next((h for h, k in self.fixed.items() if k == product.kind), None)
            if column is None:
                raise ValidationError(
                    _("%(p)s (%(c)s) bukan simpanan berjangka.")
                    % {"p": product.name, "c": product.code}
                )
            raise ValidationError(
                _("%(p)s (%(c)s) bukan simpanan berjangka; saldo awalnya diisi di kolom %(col)s.")
                % {"p": product.name, "c": product.code, "col": column}
            )
        if not product.is_active:
            raise ValidationError(
                _("Produk %(p)s (%(c)s) tidak aktif; saldo awalnya tidak dapat dibawa.")
                % {"p": product.name, "c": product.code}
            )
        label = _("Saldo %(p)s") % {"p": product.name}
        amount = cell_rupiah(value, label=label, max_value=max_value)
        cap = term_total(product)
        if cap is not None and amount > cap:
            raise ValidationError(
                _("Saldo %(p)s %(v)s melebihi total %(p)s (%(n)s bulan × %(a)s = %(t)s).")
                % {
                    "p": product.name,
                    "v": format_rupiah(amount),
                    "n": product.term_months,
                    "a": format_rupiah(product.amount),
                    "t": format_rupiah(cap),
                }
            )
        return product, amount


def _column_name(code: str) -> str:
    return f"{PREFIX}_" + re.sub(r"[^a-z0-9]+", "_", code.lower()).strip("_")


def berjangka_columns(*, fixed: dict[str, str]) -> BerjangkaColumns:
    """Which header names which product (every product, so that a value for a
    product that is not berjangka or not active is refused by name), and the template's
    column of each active berjangka product, in product order."""
    out = BerjangkaColumns(fixed=fixed)
    taken = {_loose(h) for h in fixed}
    products = list(SavingsProduct.objects.select_related("account").order_by("id"))

    def claim(keys: Iterable[tuple[str, SavingsProduct]]) -> None:
        for key, p in keys:
            if key not in taken and key not in out.by_key:
                out.by_key[key] = p

    # codes are unique: ``saldo<code>`` first, then ``saldoberjangka<code>`` (the column of
    # a product whose code is POKOK, WAJIB or SUKARELA)
    claim((PREFIX + _loose(p.code), p) for p in products)
    claim((PREFIX + "berjangka" + _loose(p.code), p) for p in products)
    names: dict[str, set[int]] = defaultdict(set)
    by_pk = {p.pk: p for p in products}
    for p in products:
        name = _loose(p.name)
        for key in {PREFIX + name, PREFIX + name.removeprefix("simpanan")}:
            if key != PREFIX:
                names[key].add(p.pk)
    claim((key, by_pk[next(iter(pks))]) for key, pks in names.items() if len(pks) == 1)
    for p in products:
        if p.kind != SavingsProduct.Kind.BERJANGKA or not p.is_active:
            continue
        header = _column_name(p.code)
        if out.by_key.get(_loose(header)) is not p:
            header = _column_name(f"berjangka-{p.code}")
        out.active.append((header, p))
    return out


def berjangka_help(product: SavingsProduct) -> str:
    """The template's description of a berjangka column."""
    parts = [
        _("Saldo awal %(p)s (%(c)s, simpanan berjangka)") % {"p": product.name, "c": product.code}
    ]
    cap = term_total(product)
    if cap is not None:
        parts.append(
            _("%(a)s per bulan × %(n)s bulan, paling banyak %(t)s")
            % {
                "a": format_rupiah(product.amount),
                "n": product.term_months,
                "t": format_rupiah(cap),
            }
        )
    if product.payout_date:
        parts.append(_("dicairkan %(d)s") % {"d": format_date(product.payout_date)})
    parts.append(_("rupiah utuh, mis. 700.000; kosongkan bila tidak ikut"))
    return "; ".join(parts)


def berjangka_example(product: SavingsProduct) -> str:
    """An example balance for the template: seven months saved (or the whole term if
    shorter)."""
    months = min(product.term_months or 7, 7)
    return str(int(product.amount * months))
