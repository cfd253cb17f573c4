from django.apps import AppConfig


class DeductionsConfig(AppConfig):
    name = "core.deductions"
    label = "deductions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # here, not at the top: the selectors import the models, loadable only once the
        # app registry is ready
        from core.ledger.payroll_batches import payroll_batches_register

        from .selectors import payroll_batches_by_entry

        # savings and loans (below this app) name a batch's movements through the ledger
        payroll_batches_register(payroll_batches_by_entry)
