"""Django's admin site, reading the row ids in its URLs as ASCII digits only.

``ModelAdmin.get_object()`` turns the id in ``/admin/<app>/<model>/<id>/change/``
into a key with the primary key's ``to_python()``, that is ``int()``, which also reads
"١٢", "１２", " 12" and "1_2": each would be one more address of row 12. Here an id
that is not ASCII digits finds nothing, as an unknown id does, on every model
registered with the site, Django's own included.
"""

import re

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.db import models

ROW_ID = re.compile(r"[0-9]{1,18}")


class AsciiIdMixin:
    """``get_object()`` that finds nothing for an integer key not written in ASCII."""

    def get_object(self, request, object_id, from_field=None):
        meta = self.model._meta
        field = meta.pk if from_field is None else meta.get_field(from_field)
        key = field.target_field if field.is_relation else field
        if isinstance(key, models.IntegerField) and not ROW_ID.fullmatch(
            str(object_id)
        ):
            return None
        return super().get_object(request, object_id, from_field)


class ColloquyAdminSite(admin.AdminSite):
    def register(self, model_or_iterable, admin_class=None, **options) -> None:
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, AsciiIdMixin):
            # The same class with the stricter lookup in front: everything the
            # class defines, and checks that name it, stay as they are.
            admin_class = type(
                admin_class.__name__,
                (AsciiIdMixin, admin_class),
                {"__module__": admin_class.__module__},
            )
        super().register(model_or_iterable, admin_class, **options)


class ColloquyAdminConfig(AdminConfig):
    default_site = "config.admin_site.ColloquyAdminSite"
