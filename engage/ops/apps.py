from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "engage.ops"
    label = "ops"
