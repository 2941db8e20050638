from django.apps import AppConfig


class GeneratorConfig(AppConfig):
    """Development and benchmark data: ``manage.py generate_forum``."""

    name = "bench.generator"
    label = "bench_generator"
    verbose_name = "Bench data generator"
