from django.apps import AppConfig


class LoansConfig(AppConfig):
    name = "core.loans"
    label = "loans"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # here, not at the top: the services import the models, loadable only once the
        # app registry is ready
        from core.common.db_refusals import db_refusal_register

        from .services.repayment import repayment_entry_missing_db_refusal
        from .services.settlement import member_leave_db_refusal

        # migration 0021: no leaving status while a loan runs
        db_refusal_register("members_member_leave_loans_running", member_leave_db_refusal)
        # migration 0022: no repayment committed without its journal entry
        db_refusal_register("loans_repayment_entry_required", repayment_entry_missing_db_refusal)
