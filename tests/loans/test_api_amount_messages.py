"""An amount the API cannot read is refused with an Indonesian sentence: it names the
amount (``Jumlah``) or the field's Indonesian label, never the JSON key (``amount '1e3'
bukan angka…`` read half in English)."""

from rest_framework import serializers

from core.common.fields import RupiahSerializerField


def test_repay_with_an_unreadable_amount_names_no_english_key(make_loan, staff, client_a):
    loan = make_loan(days_ago=40)
    client_a.force_login(staff["bendahara"])
    r = client_a.post(
        f"/api/v1/loans/{loan.pk}/repay/", {"amount": "1e3"}, content_type="application/json"
    )
    assert r.status_code == 400, r.content[:300]
    [message] = r.json()["error"]["fields"]["amount"]
    assert message.startswith("Jumlah '1e3' bukan angka rupiah yang jelas"), message


def test_a_rupiah_field_without_a_label_says_jumlah_not_its_key():
    class S(serializers.Serializer):
        expected_net = RupiahSerializerField(whole=False)
        fee = RupiahSerializerField(label="Biaya")

    s = S(data={"expected_net": "NaN", "fee": "abc"})
    assert not s.is_valid()
    assert s.errors["expected_net"][0].startswith("Jumlah 'NaN' bukan angka rupiah"), s.errors
    assert s.errors["fee"][0].startswith("Biaya 'abc' bukan angka rupiah"), s.errors
