"""Small pages every site shares (the cooperatives' and the public one)."""

from django.http import HttpRequest, HttpResponse
from django.utils.html import escape
from django.views.decorators.http import require_GET

from .fields import typed_rupiah_in_words
from .money import RupiahError


@require_GET
def rupiah_words(request: HttpRequest) -> HttpResponse:
    """The amount typed in a rupiah box, in words, in the reader's language: the text
    htmx puts under the box (``RupiahInput``). The box sends itself under its own name, so
    the first parameter is read whatever it is called. Not an amount: that error, said as
    the form would say it; nothing typed: nothing. Reads nothing stored, changes nothing."""
    text = next(iter(request.GET.values()), "")
    try:
        words = typed_rupiah_in_words(text)
    except RupiahError as e:
        return HttpResponse(f'<span class="terbilang-error">{escape(" ".join(e.messages))}</span>')
    response = HttpResponse(escape(words))
    response["Cache-Control"] = "private, max-age=3600"
    return response
