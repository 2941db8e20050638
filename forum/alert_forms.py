"""Forms for alert settings and watches (plain Django forms, shown with crispy)."""

from __future__ import annotations

from django import forms
from django.db import transaction

from accounts.models import User
from forum import alerts
from forum.models import BoardWatch, MemberPreferences

DELIVERY = [
    (alerts.SITE, "On the site"),
    (alerts.EMAIL, "On the site and by email"),
    (alerts.OFF, "Off"),
]


class AlertPreferencesForm(forms.Form):
    """One choice per alert kind, and the auto-watch setting."""

    auto_watch = forms.ChoiceField(
        label="Threads you start or reply to",
        choices=MemberPreferences.AutoWatch.choices,
    )

    def __init__(self, *args, prefs: MemberPreferences | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["auto_watch"].initial = (
            prefs.auto_watch if prefs else MemberPreferences.AutoWatch.SITE
        )
        for kind, label in alerts.Kind.choices:
            self.fields[f"kind_{kind}"] = forms.ChoiceField(
                label=label,
                choices=DELIVERY,
                initial=alerts.preference(prefs, kind),
                widget=forms.RadioSelect,
            )

    def save(self, user: User) -> MemberPreferences:
        kinds = {kind: self.cleaned_data[f"kind_{kind}"] for kind in alerts.Kind.values}
        with transaction.atomic():
            prefs, _ = MemberPreferences.objects.select_for_update().get_or_create(
                user=user
            )
            prefs.auto_watch = self.cleaned_data["auto_watch"]
            prefs.alert_kinds = kinds
            prefs.save(update_fields=["auto_watch", "alert_kinds"])
        return prefs


class WatchForm(forms.Form):
    """Watch (with or without email) or stop watching a thread or board."""

    action = forms.ChoiceField(choices=[("watch", "Watch"), ("unwatch", "Unwatch")])
    email = forms.BooleanField(required=False)
    # Boards only: new threads, or every new post.
    notify = forms.ChoiceField(
        choices=BoardWatch.Notify.choices,
        required=False,
    )
