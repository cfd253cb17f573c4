"""One pagination helper for every list screen.

    page = paginate(request, queryset)            # ?page=N, 25 rows
    return render(request, "x.html", {"page": page})

and in the template ``{% include "includes/pagination.html" %}`` (keeps the other query
parameters — filters, search — on the page links)."""

import contextlib

from django.core.paginator import Page, Paginator

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
