"""Usernames: unique after NFKC and case folding, no look-alike of a member's name
(Unicode TR39 skeleton), no reserved names, nothing invisible, at least one letter or
digit; the same rules when staff add or rename a member in the admin."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.forms import RegistrationForm
from accounts.models import User
from accounts.skeleton import skeleton, username_key
from accounts.validators import validate_username
from tests.accounts.test_admin import change_form_data
from tests.factories import make_member

pytestmark = pytest.mark.django_db

PASSWORD = "a long and unusual pass 93"


def register(username: str) -> RegistrationForm:
    form = RegistrationForm(
        {
            "username": username,
            "email": f"new{abs(hash(username))}@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
        }
    )
    form.is_valid()
    return form


def username_error(username: str) -> str:
    return " ".join(register(username).errors.get("username", []))


@pytest.mark.parametrize(
    "lookalike",
    [
        "\u0430dmin",  # Cyrillic а
        "adm\u0456n",  # Cyrillic і
        "\u0251dmin",  # Latin alpha
        "adrnin",  # r n for m
        "ADMIN",
        "\uff41\uff44\uff4d\uff49\uff4e",  # fullwidth, folded by NFKC
    ],
)
def test_lookalikes_of_an_existing_member_are_refused(settings, lookalike):
    settings.FORUM_RESERVED_USERNAMES = []  # the clash alone must refuse them
    make_member("admin")
    assert "reads too much like an existing member" in username_error(lookalike) or (
        "already exists" in username_error(lookalike)
    )


@pytest.mark.parametrize(
    "lookalike", ["\u0430lice", "aIice", "ALICE", "al\u0456ce", "\u0391LICE"]
)
def test_lookalikes_of_any_member_are_refused(member, lookalike):
    form = register(lookalike)
    assert not form.is_valid()
    assert list(form.errors) == ["username"]


def test_rn_reads_as_m_both_ways():
    make_member("emma")
    assert "reads too much like" in username_error("ernrna")
    make_member("cornelia")
    assert "reads too much like" in username_error("comelia")


def test_issue_cases_next_to_admin_are_all_refused_through_the_page(client):
    make_member("admin")
    for name in ["\u0430dmin", "adm\u0456n", "\u0251dmin", "adrnin"]:
        response = client.post(
            reverse("accounts:register"),
            {
                "username": name,
                "email": "x@example.com",
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
        )
        assert response.status_code == 200
        assert not User.objects.filter(username=name).exists()


@pytest.mark.parametrize(
    "name",
    [
        "admin",
        "Administrator",
        "moderator",
        "staff",
        "system",
        "root",
        "support",
        "r00t",
        "\u0455upport",  # Cyrillic dze
        "ad.min",
        "Admin_",
        "no-reply",
        "Colloquy",
    ],
)
def test_reserved_names_are_refused(name):
    assert "reserved" in username_error(name)


def test_reserved_names_come_from_settings(settings):
    settings.FORUM_RESERVED_USERNAMES = ["colloquybot"]
    assert "reserved" in username_error("ColloquyBot")
    assert register("admin").is_valid()


@pytest.mark.parametrize(
    "name",
    [
        "bob\u200b",  # zero-width space
        "bob\u202eevil",  # right-to-left override
        "bo\u00adb",  # soft hyphen
        "\u3164",  # Hangul filler, a "letter" that draws nothing
        "bob\u3164",
        "\u115fbob",
        "bob\ufe0f",  # variation selector
        "bob\u2066",
        "bob\u0007",
        "bob smith",
        "bo\u00a0b",  # no-break space, a space once NFKC has read it
    ],
)
def test_invisible_control_and_bidi_characters_are_refused(name):
    form = register(name)
    assert not form.is_valid()
    assert "username" in form.errors
    with pytest.raises(ValidationError):
        validate_username(name)


@pytest.mark.parametrize("name", ["...", "_-_", "@+", "-"])
def test_names_without_a_letter_or_digit_are_refused(name):
    assert "at least one letter or digit" in username_error(name)


def test_names_in_other_scripts_are_welcome():
    for name in ["Zoë", "李小龙", "José_M", "Ωmega", "ناصر", "v1.0"]:
        form = register(name)
        assert form.is_valid(), (name, form.errors)
        user = form.save()
        assert user.username_skeleton == username_key(name)


def test_skeleton_is_tr39():
    assert skeleton("\u0430dmin") == skeleton("admin") == skeleton("adrnin")
    assert skeleton("paypaI") == skeleton("paypal")
    assert username_key("ＡＤＭＩＮ") == username_key("admin") == "adrnin"


def test_long_names_that_decompose_far_still_register():
    name = "\ucb94" * 150  # each syllable is six code points in the key
    form = register(name)
    assert form.is_valid(), form.errors
    user = form.save()
    assert len(user.username_skeleton.encode()) > 3000  # past a B-tree entry
    other = name[:-1] + "\ucb92"
    form = register(other)
    assert form.is_valid(), form.errors
    form.save()
    assert set(User.objects.values_list("username", flat=True)) == {name, other}


def test_the_lookalike_check_is_one_query(member, django_assert_num_queries):
    with django_assert_num_queries(1), pytest.raises(ValidationError):
        validate_username("\u0430lice")


def test_skeleton_follows_every_save(member):
    member.username = "carol"
    member.save(update_fields=["username"])
    member.refresh_from_db()
    assert member.username_skeleton == username_key("carol")


def test_migration_fills_the_keys_of_existing_members(member):
    User.objects.update(username_skeleton="")
    migration = importlib.import_module("accounts.migrations.0003_username_skeleton")
    migration.fill_skeletons(django_apps, schema_editor=None)
    member.refresh_from_db()
    assert member.username_skeleton == username_key("alice")


# The admin: adding and renaming members.


def test_admin_rename_to_a_lookalike_is_refused(staff_client, member, other_member):
    url = f"/admin/accounts/user/{other_member.pk}/change/"
    for name in ["\u0430lice", "ALICE", "administrator", "bob\u202e"]:
        response = staff_client.post(url, change_form_data(other_member, username=name))
        assert response.status_code == 200, name
        assert "errornote" in response.content.decode()
    other_member.refresh_from_db()
    assert other_member.username == "bob"


def test_admin_rename_to_a_free_name_moves_the_key(staff_client, other_member):
    url = f"/admin/accounts/user/{other_member.pk}/change/"
    response = staff_client.post(url, change_form_data(other_member, username="Robert"))
    assert response.status_code == 302
    other_member.refresh_from_db()
    assert other_member.username == "Robert"
    assert other_member.username_skeleton == username_key("Robert")


def test_admin_keeps_a_name_given_before_the_rules(staff_client):
    legacy = make_member("support")  # created outside the forms
    url = f"/admin/accounts/user/{legacy.pk}/change/"
    response = staff_client.post(url, change_form_data(legacy, location="Here"))
    assert response.status_code == 302
    # A case-only rename of one's own name reads like nobody else.
    assert register("Supporter").is_valid()


def test_admin_add_of_a_lookalike_is_refused(staff_client, member):
    response = staff_client.post(
        "/admin/accounts/user/add/",
        {
            "username": "\u0430lice",
            "usable_password": "false",
            "password1": "",
            "password2": "",
        },
    )
    assert response.status_code == 200
    assert "reads too much like" in response.content.decode()
    assert User.objects.filter(username="\u0430lice").count() == 0
