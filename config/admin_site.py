"""Django's admin site, reading the row ids in its URLs as ASCII digits only.

``ModelAdmin.get_object()`` turns the id in ``/admin/<app>/<model>/<id>/change/``
into a key with the primary key's ``to_python()``, that is ``int()``, which also reads
"١٢", "１２", " 12" and "1_2": each would be one more address of row 12. Here an id
that is not ASCII digits finds nothing, as an unknown id does, on every model
registered with the site, Django's own included.

Query strings too: Django's admin checks its search box for NUL characters but not
the list filters' parameters or the autocomplete's term, and PostgreSQL refuses a
NUL in any text it is sent, so either would be a 500. A NUL cannot be in a stored
value, so a filter holding one is refused as Django refuses any filter it cannot
apply, and a search for one finds nothing.
"""

import re

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.options import IncorrectLookupParameters
from django.db import models
from django.http import HttpRequest, HttpResponse, JsonResponse

ROW_ID = re.compile(r"[0-9]{1,18}")


def _has_nul(request: HttpRequest) -> bool:
    return any(
        "\x00" in key or any("\x00" in value for value in values)
        for key, values in request.GET.lists()
    )


class AsciiIdMixin:
    """``get_object()`` that finds nothing for an integer key not written in ASCII,
    and a list page that refuses filters holding a NUL."""

    def get_object(self, request, object_id, from_field=None):
        meta = self.model._meta
        field = meta.pk if from_field is None else meta.get_field(from_field)
        key = field.target_field if field.is_relation else field
        if isinstance(key, models.IntegerField) and not ROW_ID.fullmatch(
            str(object_id)
        ):
            return None
        return super().get_object(request, object_id, from_field)

    def get_changelist_instance(self, request):
        # Django's answer to a filter it cannot apply: the list, unfiltered, with ?e=1.
        if _has_nul(request):
            raise IncorrectLookupParameters
        return super().get_changelist_instance(request)


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

    def autocomplete_view(self, request: HttpRequest) -> HttpResponse:
        if _has_nul(request):
            return JsonResponse({"results": [], "pagination": {"more": False}})
        return super().autocomplete_view(request)


class ColloquyAdminConfig(AdminConfig):
    default_site = "config.admin_site.ColloquyAdminSite"
