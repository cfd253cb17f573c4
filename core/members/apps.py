from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "core.members"
    label = "members"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # here, not at the top: the services import the models, loadable only once the
        # app registry is ready
        from core.common.db_refusals import db_refusal_register

        from .services import heir_left_db_refusal, member_left_db_refusal

        # the triggers of migration 0009: a member who has left is read-only
        db_refusal_register("members_member_left_read_only", member_left_db_refusal)
        db_refusal_register("members_heir_left_read_only", heir_left_db_refusal)
