"""One pagination helper for every list screen.

    page = paginate(request, queryset)            # ?page=N, 25 rows
    return render(request, "x.html", {"page": page})

and in the template ``{% include "includes/pagination.html" %}`` (keeps the other query
parameters — filters, search — on the page links)."""

import contextlib

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 200


def paginate(
    request, object_list, *, per_page: int = DEFAULT_PER_PAGE, param: str = "page"
) -> Page:
    """The requested page; a missing, malformed or out-of-range number gives the nearest
    valid page instead of an error."""
    with contextlib.suppress(TypeError, ValueError):
        per_page = min(int(request.GET.get("per_page", per_page)), MAX_PER_PAGE)
    paginator = Paginator(object_list, max(per_page, 1))
    return paginator.get_page(request.GET.get(param))


class BoundedPaginator(Paginator):
    """A paginator that counts no further than it needs: up to ``count_limit`` rows, or
    up to the end of the requested page when that is deeper, plus one row to know whether
    more follow. A long list (a million-line journal) then costs what its first pages
    cost, not a ``COUNT(*)`` of the whole table. When there is more, ``more_than`` is the
    number of rows counted (the list holds more than that), ``count`` that number plus
    one, and there is no last page to jump to: the requested page and the next one exist,
    so "next" always works."""

    count_limit = 10_000

    def __init__(self, *args, count_limit: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if count_limit is not None:
            self.count_limit = count_limit
        self._wanted = 1

    def validate_number(self, number):
        if "count" not in self.__dict__:  # the first page asked for sets how far to count
            with contextlib.suppress(TypeError, ValueError, OverflowError):
                # an absurd page number still makes a LIMIT PostgreSQL takes (bigint)
                self._wanted = min(max(int(number), 1), 10**9)
        return super().validate_number(number)

    @cached_property
    def _bound(self) -> int:
        return max(self.count_limit, self._wanted * self.per_page)

    @cached_property
    def count(self) -> int:
        """The rows, counted up to one beyond the bound."""
        qs = self.object_list
        if isinstance(qs, QuerySet):  # neither order nor joined columns: any index serves
            return qs.order_by().values("pk")[: self._bound + 1].count()
        return min(len(qs), self._bound + 1)

    @cached_property
    def count_exact(self) -> bool:
        return self.count <= self._bound

    @cached_property
    def more_than(self) -> int | None:
        """None when ``count`` is exact, else the lower bound: "more than N"."""
        return None if self.count_exact else self._bound


class ApiPageNumberPagination(PageNumberPagination):
    """The API's pages (``DEFAULT_PAGINATION_CLASS``): ``?page=N``, ``?page_size=N`` up
    to ``MAX_PER_PAGE`` (more is that many; a value that is not a positive number is the
    default, ``PAGE_SIZE``: 50); ``next``/``previous`` keep the page size."""

    page_size_query_param = "page_size"
    max_page_size = MAX_PER_PAGE

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        for p in params:
            if p["name"] == self.page_size_query_param:
                p["description"] = (
                    f"Items per page, at most {MAX_PER_PAGE} (more gives {MAX_PER_PAGE}); "
                    "default 50."
                )
        return params


class BoundedPageNumberPagination(ApiPageNumberPagination):
    """DRF's page-number pagination over a ``BoundedPaginator``: ``count`` is exact when
    ``count_exact`` is true; otherwise the list holds at least ``count`` items (follow
    ``next``)."""

    django_paginator_class = BoundedPaginator

    def get_paginated_response(self, data):
        paginator = self.page.paginator
        return Response(
            {
                "count": paginator.count,
                "count_exact": paginator.count_exact,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        out = super().get_paginated_response_schema(schema)
        out["properties"]["count_exact"] = {
            "type": "boolean",
            "description": "false: the list has at least `count` items (counting stops "
            "there); follow `next`",
        }
        out["required"] = [*out.get("required", []), "count_exact"]
        return out
