from django.contrib import admin

from .models import (
    CreditNote,
    DeletedCooperative,
    Invoice,
    PaymentProof,
    Plan,
    Subscription,
    WebhookEvent,
)


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "code",
        "max_members",
        "price_monthly",
        "price_yearly",
        "is_active",
        "sort_order",
    ]
    list_editable = ["price_monthly", "price_yearly", "is_active", "sort_order"]


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = [
        "cooperative",
        "plan",
        "status",
        "provider",
        "active_members",
        "over_limit_since",
    ]
    list_filter = ["status", "provider"]
    readonly_fields = ["stripe_customer_id", "stripe_subscription_id", "stripe_status"]


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ["number", "subscription", "provider", "amount", "status", "due_on"]
    list_filter = ["provider", "status"]
    raw_id_fields = ["reissue_of"]


@admin.register(PaymentProof)
class PaymentProofAdmin(admin.ModelAdmin):
    list_display = ["invoice", "uploaded_by", "created_at"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ["event_id", "event_type", "valid", "state", "flagged", "received_at"]
    list_filter = ["valid", "state", "flagged", "event_type"]
    readonly_fields = [f.name for f in WebhookEvent._meta.fields]


@admin.register(CreditNote)
class CreditNoteAdmin(admin.ModelAdmin):
    list_display = ["number", "invoice", "issued_on", "amount", "dpp", "ppn"]
    readonly_fields = [f.name for f in CreditNote._meta.fields]


@admin.register(DeletedCooperative)
class DeletedCooperativeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "npwp", "deleted_at"]
    search_fields = ["name", "slug", "npwp", "nik_koperasi"]
    readonly_fields = [f.name for f in DeletedCooperative._meta.fields]
