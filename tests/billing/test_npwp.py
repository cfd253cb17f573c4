"""The NPWP a cooperative enters (``/langganan/npwp/``, the only place it is entered): 15
or 16 ASCII digits once the usual dots, dashes and spaces are removed; anything else
(digits of another script, text around the number) is refused with a clear message and
nothing is changed."""

import pytest
from django.contrib.messages import get_messages

from billing import services
from billing.models import Subscription
from core.common.errors import ApplicationError
from tests.billing.test_credit_note_documents import _client

MESSAGE = (
    "NPWP harus 15 atau 16 angka (0-9); titik, tanda hubung dan spasi boleh, "
    "misalnya 01.234.567.8-901.000."
)


@pytest.mark.parametrize(
    "typed",
    [
        "٠١٢٣٤٥٦٧٨٩٠١٢٣٤",  # Arabic-Indic digits: isdigit() but no NPWP
        "０１２３４５６７８９０１２３４",  # full-width digits
        "NPWP: 01.234.567.8-901.000",
        "01.234.567.8-901.000 (pusat)",
        "01.234.567.8-901.000/1",
        "01234567890123",  # 14 digits
        "01234567890123456",  # 17 digits
    ],
)
def test_an_npwp_that_is_not_15_or_16_ascii_digits_is_refused(subscription_a, typed):
    Subscription.objects.filter(pk=subscription_a.pk).update(npwp="023456789012000")
    with pytest.raises(ApplicationError) as err:
        services.subscription_tax_details_set(
            subscription=subscription_a, npwp=typed, address="Jl. Baru", by="t"
        )
    assert err.value.code == "npwp_invalid"
    assert str(err.value.message) == MESSAGE
    assert [str(m) for m in err.value.fields["npwp"]] == [MESSAGE]
    subscription_a.refresh_from_db()
    assert (subscription_a.npwp, subscription_a.tax_address) == ("023456789012000", "")


@pytest.mark.parametrize(
    "typed",
    ["01.234.567.8-901.000", " 01 234 567 8 901 000 ", "0123456789012345", "0123-4567-8901-2345"],
)
def test_an_npwp_written_the_usual_ways_is_kept(subscription_a, typed):
    services.subscription_tax_details_set(
        subscription=subscription_a, npwp=typed, address="Jl. Baru", by="t"
    )
    subscription_a.refresh_from_db()
    assert subscription_a.npwp == typed.strip()


def test_the_billing_page_says_why_an_npwp_is_refused(tenant_a, client_a, admin_a):
    client = _client(tenant_a, client_a, admin_a.username)
    response = client.post(
        "/langganan/npwp/", {"npwp": "NPWP 01.234.567.8-901.000", "tax_address": "Jl. Baru"}
    )
    assert response.status_code == 302
    assert MESSAGE in [str(m) for m in get_messages(response.wsgi_request)]
    sub = Subscription.objects.get(cooperative=tenant_a)
    assert (sub.npwp, sub.tax_address) == ("", "")
