from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoansConfig(AppConfig):
    name = "core.loans"
    label = "loans"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # here, not at the top: the services import the models, loadable only once the
        # app registry is ready
        from core.common.db_refusals import db_refusal_register
        from core.ledger.close_guards import register as close_guard_register
        from core.savings.statement_names import register as statement_namer_register

        from .arrears_asof import arrears_close_refusal
        from .selectors import sukarela_payments_name
        from .services.repayment import repayment_entry_missing_db_refusal
        from .services.settlement import member_leave_db_refusal

        # migration 0021: no leaving status while a loan runs
        db_refusal_register("members_member_leave_loans_running", member_leave_db_refusal)
        # migration 0022: no repayment committed without its journal entry
        db_refusal_register("loans_repayment_entry_required", repayment_entry_missing_db_refusal)
        # the ledger's December close and year close (below this app) refuse to close a
        # fiscal year's last day while its arrears/PPAP run is missing
        close_guard_register(
            arrears_close_refusal,
            fix_url_name="loans:arrears_run",
            fix_label=_("Buka Proses tunggakan dan PPAP"),
        )
        # the kartu simpanan (staff and portal) names a loan paid from sukarela by the
        # loan and its receipt in the reader's language
        statement_namer_register(sukarela_payments_name)
