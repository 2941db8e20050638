from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operator commands: backup, restore and the development admin account."""

    name = "ops"
    verbose_name = "Operations"
