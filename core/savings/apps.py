from django.apps import AppConfig


class SavingsConfig(AppConfig):
    name = "core.savings"
    label = "savings"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # here, not at the top: the services import the models, loadable only once the
        # app registry is ready
        from core.common.db_refusals import db_refusal_register

        from .services.accounts import member_leave_db_refusal, txn_entry_missing_db_refusal

        # migration 0018: no leaving status while a savings account is open
        db_refusal_register("members_member_leave_savings_open", member_leave_db_refusal)
        # migration 0021: no movement committed without its journal entry
        db_refusal_register("savings_txn_entry_required", txn_entry_missing_db_refusal)
