from datetime import date

from core.loans.schedules import add_months


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
