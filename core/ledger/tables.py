"""Turn each report's plain data into one tabular shape, rendered alike as HTML, PDF and
XLSX: ``{"title", "subtitle", "columns", "num_columns", "rows": [{"kind", "cells"}]}``.

Row kinds: ``section`` (a heading), ``group`` (a sub-heading), ``row``, ``subtotal``,
``total``. ``cells`` are strings, dates or Decimals; a Decimal is money (formatted
``Rp``), a date is written out on pages and PDF and is a date cell in XLSX."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import chain

from django.urls import reverse
from django.utils.formats import date_format, localize
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from core.common.money import format_rupiah

from .models import Account

ZERO = Decimal("0")


def _d(x: date | None) -> str:
    return date_format(x) if x else ""


def _row(kind: str, *cells, links: dict[int, str] | None = None) -> dict:
    """A row; ``links``: {cell index: URL} the page shows as links (the files do not)."""
    row = {"kind": kind, "cells": list(cells)}
    if links:
        row["links"] = links
    return row


def _url_maker(name: str):
    """``url(pk)`` for a URL taking one id, made from one ``reverse()`` (a report of
    many rows: one reverse, not one per row)."""
    head, _sep, tail = reverse(name, args=[0]).rpartition("/0/")
    return lambda pk: f"{head}/{pk}/{tail}"


def _ledger_links(date_from: date, date_to: date):
    """``links(account id)``: the code and name cells linked to the account's buku
    besar over [date_from, date_to] (its closing balance is the figure of an at-date
    report; its movements those of a period report)."""
    url = _url_maker("ledger:account_ledger")
    query = f"?date_from={date_from.isoformat()}&date_to={date_to.isoformat()}"

    def links(pk) -> dict[int, str] | None:
        if pk is None:
            return None
        u = url(pk) + query
        return {0: u, 1: u}

    return links


def _at_date_range(as_of: date, compare_as_of: date | None) -> tuple[date, date]:
    """The range an at-date report was asked for: from the day after its comparison date
    (the page's "from"), else 1 January."""
    start = compare_as_of + timedelta(days=1) if compare_as_of else date(as_of.year, 1, 1)
    return (start if start <= as_of else date(as_of.year, 1, 1)), as_of


def _without_empty_comparison(table: dict, first: int) -> dict:
    """Drop the comparison columns (from index ``first``) when the previous period has
    nothing in them — a new cooperative's first year — so the account names keep the
    width instead of wrapping beside columns of zeros."""
    if len(table["columns"]) <= first:
        return table
    for row in table["rows"]:
        for c in row["cells"][first:]:
            if c not in ("", None) and not (isinstance(c, Decimal) and c == 0):
                return table
    cols = table["columns"][:first]
    rows = [r | {"cells": r["cells"][:first]} for r in table["rows"]]
    return table | {"columns": cols, "rows": rows, "num_columns": len(cols) - 2}


def _compared_table(r: dict, *, subtitle: str, cols: list, rows: list, first: int) -> dict:
    """The table of a report that may compare with a previous period or date (its
    columns from index ``first``), those columns dropped when empty."""
    table = {
        "title": r["title"],
        "subtitle": subtitle,
        "columns": cols,
        "num_columns": len(cols) - 2,
        "rows": rows,
    }
    return _without_empty_comparison(table, first)


def trial_balance_table(r: dict) -> dict:
    cmp = r["compare_as_of"]
    cols = [_("Kode"), _("Akun"), _("Debit"), _("Kredit")]
    if cmp:
        cols += [_("Debit %(d)s") % {"d": _d(cmp)}, _("Kredit %(d)s") % {"d": _d(cmp)}]
    links = _ledger_links(*_at_date_range(r["as_of"], cmp))
    rows = []
    for x in r["rows"]:
        cells = [x["code"], x["name"], x["debit"], x["credit"]]
        if cmp:
            cells += [x["prev_debit"], x["prev_credit"]]
        rows.append(_row("row", *cells, links=links(x.get("id"))))
    tot = ["", _("Jumlah"), r["total_debit"], r["total_credit"]]
    if cmp:
        tot += [r["prev_total_debit"], r["prev_total_credit"]]
    rows.append(_row("total", *tot))
    subtitle = _("Per %(d)s") % {"d": _d(r["as_of"])}
    return _compared_table(r, subtitle=subtitle, cols=cols, rows=rows, first=4)


def _figure_row(kind: str, label: str, value, prev, cmp) -> dict:
    """A row of one figure under the label (a total, a subtotal), with the previous
    period's beside it when the report compares."""
    return _row(kind, "", label, value, *([prev] if cmp else []))


def _period_columns(r: dict, name: str) -> list[str]:
    """Code, ``name`` and the period's figures, then the previous period's when the
    report compares (``r["previous"]``)."""
    cols = [_("Kode"), name, _("%(a)s – %(b)s") % {"a": _d(r["date_from"]), "b": _d(r["date_to"])}]
    prev = r["previous"]
    if prev:
        cols.append(_("%(a)s – %(b)s") % {"a": _d(prev["date_from"]), "b": _d(prev["date_to"])})
    return cols


def _statement_parts(r: dict, parts, *, cmp, links) -> list[dict]:
    """The sections of a statement in order: ``parts`` are (key, heading, total label);
    a part's groups are ``r[key]``, its totals ``r["total_<key>"]`` and
    ``r["prev_total_<key>"]``."""
    rows = []
    for key, heading, total_label in parts:
        rows += _statement_sections(
            r[key],
            heading=heading,
            total_label=total_label,
            total=r[f"total_{key}"],
            prev_total=r[f"prev_total_{key}"],
            cmp=cmp,
            links=links,
        )
    return rows


def _statement_sections(
    sections, *, heading: str, total_label: str, total, prev_total, cmp, links=None
):
    rows = [_row("section", "", heading, *([""] * (2 if cmp else 1)))]
    for g in sections:
        rows.append(_row("group", g["code"], g["name"], *([""] * (2 if cmp else 1))))
        for x in g["rows"]:
            cells = [x["code"], x["name"], x["amount"]]
            if cmp:
                cells.append(x["prev_amount"])
            rows.append(_row("row", *cells, links=links(x.get("id")) if links else None))
        if len(sections) == 1:
            # the section's only group: its subtotal is the section's total, printed below
            continue
        sub = _("Jumlah %(g)s") % {"g": g["name"]}
        rows.append(_figure_row("subtotal", sub, g["total"], g["prev_total"] if cmp else None, cmp))
    rows.append(_figure_row("total", total_label, total, prev_total, cmp))
    return rows


def balance_sheet_table(r: dict) -> dict:
    cmp = r["compare_as_of"]
    links = _ledger_links(*_at_date_range(r["as_of"], cmp))
    cols = [_("Kode"), _("Pos"), _d(r["as_of"])]
    if cmp:
        cols.append(_d(cmp))
    parts = (
        ("assets", _("ASET"), _("JUMLAH ASET")),
        ("liabilities", _("KEWAJIBAN"), _("JUMLAH KEWAJIBAN")),
        ("equity", _("EKUITAS"), _("JUMLAH EKUITAS")),
    )
    rows = _statement_parts(r, parts, cmp=cmp, links=links)
    rows.append(
        _figure_row(
            "total",
            _("JUMLAH KEWAJIBAN DAN EKUITAS"),
            r["total_liabilities_equity"],
            r["prev_total_liabilities_equity"] if cmp else None,
            cmp,
        )
    )
    subtitle = _("Per %(d)s") % {"d": _d(r["as_of"])}
    return _compared_table(r, subtitle=subtitle, cols=cols, rows=rows, first=3)


def income_statement_table(r: dict) -> dict:
    cmp = bool(r["previous"])
    cols = _period_columns(r, _("Pos"))
    links = _ledger_links(r["date_from"], r["date_to"])
    parts = (
        ("income", _("PENDAPATAN"), _("JUMLAH PENDAPATAN")),
        ("expense", _("BEBAN"), _("JUMLAH BEBAN")),
    )
    rows = _statement_parts(r, parts, cmp=cmp, links=links)
    for kind, label, key in (
        ("total", _("SHU SEBELUM PAJAK"), "shu_before_tax"),
        ("row", _("Pajak penghasilan"), "income_tax"),
        ("total", _("SISA HASIL USAHA (SHU) SETELAH PAJAK"), "result"),
    ):
        rows.append(_figure_row(kind, label, r[key], r[f"prev_{key}"] if cmp else None, cmp))
    subtitle = _("Periode %(a)s sampai %(b)s") % {"a": _d(r["date_from"]), "b": _d(r["date_to"])}
    return _compared_table(r, subtitle=subtitle, cols=cols, rows=rows, first=3)


def equity_changes_table(r: dict) -> dict:
    cols = [
        _("Kode"),
        _("Pos ekuitas"),
        _("Saldo awal"),
        _("Penambahan"),
        _("Pengurangan"),
        _("Pemindahan antar-ekuitas"),
        _("Saldo akhir"),
    ]
    keys = ("opening", "increase", "decrease", "transfer", "closing")
    links = _ledger_links(r["date_from"], r["date_to"])
    rows = [
        _row("row", x["code"], x["name"], *(x[k] for k in keys), links=links(x.get("id")))
        for x in r["rows"]
    ]
    t = r["totals"]
    rows.append(_row("total", "", _("Jumlah"), *(t[k] for k in keys)))
    return {
        "title": r["title"],
        "subtitle": _("Periode %(a)s sampai %(b)s")
        % {"a": _d(r["date_from"]), "b": _d(r["date_to"])},
        "columns": cols,
        "num_columns": 5,
        "rows": rows,
    }


def cash_flow_table(r: dict) -> dict:
    prev = r["previous"]
    cmp = bool(prev)
    cols = _period_columns(r, _("Uraian"))
    prev_sections = {s["key"]: s for s in prev["sections"]} if cmp else {}
    rows = []
    pad = [""] * (2 if cmp else 1)
    for s in r["sections"]:
        ps = prev_sections.get(s["key"], {"inflows": [], "outflows": [], "net": ZERO})
        keys_in = {x["code"]: x for x in s["inflows"]}
        pkeys_in = {x["code"]: x for x in ps["inflows"]}
        keys_out = {x["code"]: x for x in s["outflows"]}
        pkeys_out = {x["code"]: x for x in ps["outflows"]}
        if not (keys_in or keys_out or pkeys_in or pkeys_out):
            continue
        rows.append(_row("section", "", s["label"].upper(), *pad))
        for code in sorted(set(keys_in) | set(pkeys_in)):
            x = keys_in.get(code) or pkeys_in[code]
            cells = [
                code,
                _("Penerimaan: %(n)s") % {"n": x["name"]},
                keys_in.get(code, {}).get("amount", ZERO),
            ]
            if cmp:
                cells.append(pkeys_in.get(code, {}).get("amount", ZERO))
            rows.append(_row("row", *cells))
        for code in sorted(set(keys_out) | set(pkeys_out)):
            x = keys_out.get(code) or pkeys_out[code]
            cells = [
                code,
                _("Pembayaran: %(n)s") % {"n": x["name"]},
                -keys_out.get(code, {}).get("amount", ZERO),
            ]
            if cmp:
                cells.append(-pkeys_out.get(code, {}).get("amount", ZERO))
            rows.append(_row("row", *cells))
        net = _("Arus kas bersih dari %(s)s") % {"s": s["label"].lower()}
        rows.append(_figure_row("subtotal", net, s["net"], ps["net"], cmp))
    for kind, label, key in (
        ("total", _("KENAIKAN (PENURUNAN) BERSIH KAS"), "net_change"),
        ("row", _("Kas dan setara kas awal periode"), "opening_cash"),
        ("total", _("KAS DAN SETARA KAS AKHIR PERIODE"), "closing_cash"),
    ):
        rows.append(_figure_row(kind, label, r[key], prev[key] if cmp else None, cmp))
    subtitle = _("Metode langsung · periode %(a)s sampai %(b)s") % {
        "a": _d(r["date_from"]),
        "b": _d(r["date_to"]),
    }
    return _compared_table(r, subtitle=subtitle, cols=cols, rows=rows, first=3)


def general_ledger_table(r: dict) -> dict:
    """``r`` from ``reports.general_ledger`` (one page) or ``general_ledger_all`` (every
    line, ``rows`` an iterator: the table's rows are then an iterator too, read once by
    the file being written, and ``has_sen`` gives its ``decimals``). Dates stay dates: the pages and the PDF write them out, the
    XLSX holds them as date cells."""
    acc = r["account"]
    cols = [_("Tanggal"), _("No. jurnal"), _("Uraian"), _("Debit"), _("Kredit"), _("Saldo")]
    first = (
        _row("subtotal", "", "", _("Saldo awal"), "", "", r["opening"])
        if r["page"] == 1
        else _row("subtotal", "", "", _("Saldo pindahan"), "", "", r["carried"])
    )

    entry_url = _url_maker("ledger:entry")

    def lines():
        for x in r["rows"]:
            desc = x["description"] + (f" — {x['memo']}" if x["memo"] else "")
            yield _row(
                "row",
                x["date"],
                x["number"],
                desc,
                x["debit"] or "",
                x["credit"] or "",
                x["balance"],
                links={1: entry_url(x["entry_id"])} if x.get("entry_id") else None,
            )

    total = _row(
        "total",
        "",
        "",
        _("Jumlah mutasi / saldo akhir"),
        r["total_debit"],
        r["total_credit"],
        r["closing"],
    )
    side = dict(Account.Side.choices)[acc["normal_side"]]
    subtitle = _("Periode %(a)s sampai %(b)s · saldo normal %(s)s") % {
        "a": _d(r["date_from"]),
        "b": _d(r["date_to"]),
        "s": side,
    }
    if r["pages"] > 1:
        subtitle += " · " + _("halaman %(p)s dari %(t)s") % {"p": r["page"], "t": r["pages"]}
    table = {
        "title": _("Buku Besar %(c)s %(n)s") % {"c": acc["code"], "n": acc["name"]},
        "subtitle": subtitle,
        "columns": cols,
        "num_columns": 3,
        "text_columns": 3,
    }
    if isinstance(r["rows"], list):
        return table | {"rows": [first, *lines(), total]}
    return table | {
        "rows": chain([first], lines(), [total]),
        "decimals": 2 if r["has_sen"] else 0,
    }


BOLD_ROWS = frozenset({"section", "total", "subtotal", "group"})


def table_decimals(table: dict) -> int:
    """Decimals to show every money figure of the table with: 2 when any figure has sen
    (rounded cell by cell, lines of Rp 10,50 would show as Rp 11 under a total of
    Rp 21), else 0. A table whose rows are an iterator says so itself (``decimals``)."""
    if "decimals" in table:
        return table["decimals"]
    for row in table["rows"]:
        for c in row["cells"]:
            if isinstance(c, Decimal) and c != c.to_integral_value():
                return 2
    return 0


def _body_html(rows: list[dict], decimals: int) -> str:
    """The table's body as HTML, built here rather than cell by cell in the template
    (a buku besar page is 100 rows of 8 cells: the template loop was most of its time).
    Same markup as ``ledger/_table.html``'s loop; text escaped, money as ``rupiah``
    with the table's ``decimals``."""
    out = []
    for row in rows:
        kind = row["kind"]
        bold = kind in BOLD_ROWS
        links = row.get("links") or {}
        cells = []
        for i, c in enumerate(row["cells"]):
            if isinstance(c, Decimal):
                cells.append(f'<td class="num">{escape(format_rupiah(c, decimals=decimals))}</td>')
            elif bold:
                cells.append(f"<td><strong>{escape(localize(c))}</strong></td>")
            elif i in links and c not in ("", None):
                cells.append(f'<td><a href="{escape(links[i])}">{escape(localize(c))}</a></td>')
            else:
                cells.append(f"<td>{escape(localize(c))}</td>")
        out.append(f'<tr class="r-{escape(kind)}">{"".join(cells)}</tr>')
    return "".join(out)


def with_cell_kinds(table: dict) -> dict:
    """Mark each cell as money (Decimal, with ``text``: formatted with the table's
    decimals) or text, for templates; ``body_html`` is the rendered body
    ``ledger/_table.html`` prints."""
    rows = list(table["rows"])  # an iterator (a whole buku besar) is read once, here
    decimals = table_decimals(table | {"rows": rows})
    marked = []
    for row in rows:
        links = row.get("links") or {}
        cells = [
            {
                "value": c,
                "money": isinstance(c, Decimal),
                "text": format_rupiah(c, decimals=decimals) if isinstance(c, Decimal) else c,
            }
            | ({"link": links[i]} if i in links and c not in ("", None) else {})
            for i, c in enumerate(row["cells"])
        ]
        marked.append({"kind": row["kind"], "cells": cells})
    return table | {
        "rows": marked,
        "decimals": decimals,
        "body_html": mark_safe(_body_html(rows, decimals)),
    }
