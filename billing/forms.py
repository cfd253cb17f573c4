from django import forms
from django.utils.translation import gettext_lazy as _

from core.common.fields import RupiahField

from .models import Plan
from .services.bank import PROOF_AMOUNT_REQUIRED
from .services.plans import PRICE_MAX


class PlanForm(forms.ModelForm):
    """Operators edit a plan. Features: one per line."""

    # Read as every money field reads what people type (parse_rupiah): 400.000,
    # Rp 400.000, 400,000 (the model's DecimalField took 400.000 for 400 with decimals).
    price_monthly = RupiahField(label=_("harga bulanan (Rp)"), max_value=PRICE_MAX)
    price_yearly = RupiahField(label=_("harga tahunan (Rp)"), max_value=PRICE_MAX)
    features_text = forms.CharField(
        label=_("Fitur (satu per baris)"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )

    class Meta:
        model = Plan
        fields = [
            "code",
            "name",
            "max_members",
            "price_monthly",
            "price_yearly",
            "prices_include_ppn",
            "is_active",
            "sort_order",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["code"].disabled = True
            self.fields["features_text"].initial = "\n".join(self.instance.features or [])

    def plan_fields(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k not in ("features_text", "code")}
        if not self.instance.pk:
            data["code"] = self.cleaned_data["code"]
        data["features"] = [
            line.strip() for line in self.cleaned_data["features_text"].splitlines() if line.strip()
        ]
        return data


# The billing page's small posts. Django's CharField refuses a NUL character (which
# PostgreSQL cannot store) with a field error, as it does any other invalid input.


class TaxDetailsForm(forms.Form):
    npwp = forms.CharField(label=_("NPWP koperasi"), max_length=30, required=False)
    tax_address = forms.CharField(label=_("Alamat NPWP"), max_length=300, required=False)


class ProofNoteForm(forms.Form):
    note = forms.CharField(label=_("Catatan"), max_length=300, required=False)
    # What was transferred, as on the bank's receipt (1.234.567, Rp 1.234.567): the
    # operator compares it with the invoice before confirming. Required (proofs sent
    # before it was asked have none, and show "tidak disebut").
    amount = RupiahField(
        label=_("Jumlah yang ditransfer"),
        min_value=1,
        error_messages={"required": PROOF_AMOUNT_REQUIRED},
    )


class TransferDecisionForm(forms.Form):
    """An operator's confirmation note or rejection reason (the service requires the
    reason of a rejection)."""

    note = forms.CharField(label=_("Catatan"), max_length=1000, required=False)
    reason = forms.CharField(label=_("Alasan"), max_length=1000, required=False)


class TransferReceivedForm(forms.Form):
    """*Konfirmasi transfer diterima*: the amount the bank statement shows (filled in
    with what is still to be transferred) and the operator's note."""

    amount = RupiahField(
        label=_("Jumlah diterima"),
        min_value=1,
        error_messages={
            "required": _("isi jumlah yang diterima sesuai mutasi rekening (mis. 1.234.567).")
        },
    )
    note = forms.CharField(label=_("Catatan"), max_length=1000, required=False)
