"""The Dinas view on the apex host (/dinas/). Every page reads public-schema tables
only (figures written by the periodic refresh): no request opens a tenant schema."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from lumbung.dinas.audit import DinasAudit
from lumbung.twostep import TwoStepLogin, TwoStepLoginView

from . import exports, forms, selectors
from .models import YearFigures
from .permissions import cooperative_for, pembina_of, pembina_required

TABLE_PAGE_ROWS = 25  # a page renders in well under 200 ms at 3,410 cooperatives (benchmarks)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    resp = HttpResponse(content, content_type=XLSX)
    resp["Content-Disposition"] = f'attachment; filename="{filename}"'
    return resp


# -- login with required two-factor (lumbung.twostep, as the operator console) ----------


LOGIN = TwoStepLogin(
    namespace="dinas",
    home="dinas:table",
    pending_key="lumbung_dinas_2fa",
    audit_action=DinasAudit.LOGIN,
    may_enter=lambda user: pembina_of(user) is not None,
    refusal=gettext_lazy("Akun ini bukan akun pembina Dinas Koperasi."),
)


class DinasLoginView(TwoStepLoginView):
    flow = LOGIN


login_verify = LOGIN.verify_view
enrol = LOGIN.enrol_view  # first login: a pembina sets up a TOTP authenticator
dinas_logout = LOGIN.logout_view


# -- pages -------------------------------------------------------------------------------


SORT_LABELS = [
    ("name", gettext_lazy("Nama")),
    ("regency", gettext_lazy("Kab/kota")),
    ("members", gettext_lazy("Anggota aktif")),
    ("assets", gettext_lazy("Aset")),
    ("capital", gettext_lazy("Modal sendiri")),
    ("savings", gettext_lazy("Simpanan")),
    ("loans", gettext_lazy("Pinjaman")),
    ("npl", gettext_lazy("NPL")),
    ("shu", gettext_lazy("SHU")),
    ("rat", gettext_lazy("RAT terakhir")),
    ("activity", gettext_lazy("Aktivitas")),
]

# No area has this many pages; a larger number would overflow PostgreSQL's bigint OFFSET
# (a 500). Anything past the end shows the last page (_table_page).
MAX_PAGE = 1_000_000


def _table_page(qs, number: int) -> tuple[Page, dict]:
    """The requested page of the table (the last one when past it) and the totals, in
    one query (selectors.indicator_page)."""
    number = min(number, MAX_PAGE)
    rows, totals = selectors.indicator_page(qs, number=number, per_page=TABLE_PAGE_ROWS)
    paginator = Paginator([], TABLE_PAGE_ROWS)
    paginator.count = totals["count"]  # a cached_property: never counted again
    if not rows and number > paginator.num_pages:
        number = paginator.num_pages
        rows, totals = selectors.indicator_page(qs, number=number, per_page=TABLE_PAGE_ROWS)
    return Page(rows, min(number, paginator.num_pages), paginator), totals


def _table_context(request, form, sort: str) -> dict:
    query = request.GET.copy()
    for key in ("sort", "format", "page"):
        query.pop(key, None)
    return {
        "form": form,
        "sort": sort,
        "query": query.urlencode(),
        "sorts": SORT_LABELS,
        "pembina": request.pembina,
        "year": timezone.localdate().year - 1,
    }


@require_safe  # the Dinas reads: every page and file is GET (or HEAD) only
@pembina_required
def table(request):
    """The area's table. Every query-string value is checked (forms.TableFilterForm):
    one the page does not know answers 400 with its reason and no rows or totals."""
    pembina = request.pembina
    form = forms.TableFilterForm(request.GET, regencies=selectors.area_regencies(pembina))
    if not form.is_valid():
        sort = request.GET.get("sort", "") if "sort" not in form.errors else ""
        context = _table_context(request, form, sort or "name")
        context["errors"] = form.error_list()
        return render(request, "dinas/table.html", context, status=400)
    params = form.cleaned_data
    sort = params["sort"] or "name"
    qs = selectors.indicator_table(
        pembina=pembina,
        regency=params["regency"],
        kind=params["kind"],
        band=params["band"],
        rat_overdue=params["rat_overdue"],
        sort=sort,
    )
    if params["format"] == "xlsx":
        totals = selectors.indicator_totals(qs)
        content = exports.indicators_xlsx(rows=qs, totals=totals, area=pembina.area_label)
        return _xlsx(content, f"indikator-koperasi-{timezone.localdate():%Y%m%d}.xlsx")
    page, totals = _table_page(qs, params["page"] or 1)
    context = _table_context(request, form, sort)
    context.update({"page": page, "totals": totals})
    return render(request, "dinas/table.html", context)


@require_safe  # the Dinas reads: every page and file is GET (or HEAD) only
@pembina_required
def profile(request, pk: int):
    coop = cooperative_for(request, pk)
    trend = selectors.cooperative_trend(cooperative=coop)
    years = YearFigures.objects.filter(cooperative=coop).order_by("-year")
    return render(
        request,
        "dinas/profile.html",
        {
            "coop": coop,
            "latest": trend[-1] if trend else None,
            "trend": trend,
            "trend_from_ledger": any(t.source == "ledger" for t in trend),
            "years": years,
            "pembina": request.pembina,
        },
    )


def _year(request) -> tuple[int | None, HttpResponse | None]:
    """The fiscal year asked for (``?year=``; none: last year), or a 400 page saying why
    it is refused — never another year's file under the one typed."""
    form = forms.YearForm(request.GET)
    if form.is_valid():
        return form.cleaned_data["year"], None
    errors = [str(e) for e in form.errors.get("year", [])]
    response = render(
        request,
        "dinas/bad_request.html",
        {"errors": errors, "pembina": request.pembina},
        status=400,
    )
    return None, response


@require_safe  # the Dinas reads: every page and file is GET (or HEAD) only
@pembina_required
def ministry_area(request):
    year, refused = _year(request)
    if refused is not None:
        return refused
    figures = list(selectors.area_year_figures(pembina=request.pembina, year=year))
    content = exports.ministry_xlsx(figures=figures, year=year, area=request.pembina.area_label)
    return _xlsx(content, f"data-kementerian-{year}.xlsx")


@require_safe  # the Dinas reads: every page and file is GET (or HEAD) only
@pembina_required
def ministry_cooperative(request, pk: int):
    coop = cooperative_for(request, pk)
    year, refused = _year(request)
    if refused is not None:
        return refused
    figures = list(
        YearFigures.objects.filter(cooperative=coop, year=year).select_related("cooperative")
    )
    content = exports.ministry_xlsx(figures=figures, year=year, area=coop.name)
    return _xlsx(content, f"data-kementerian-{coop.slug}-{year}.xlsx")
