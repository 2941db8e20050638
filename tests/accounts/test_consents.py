"""Terms and privacy: versions published in admin, agreed to at registration and
again on the next visit after a new version, each agreement recorded."""

import pytest
from django.urls import reverse

from accounts import consents
from accounts.models import Agreement, LegalDocument, User
from tests.conftest import count_queries
from tests.factories import make_member

pytestmark = pytest.mark.django_db

PASSWORD = "a sturdy passphrase 9"


def publish(kind: str, body: str = "Be kind.", title: str = "") -> LegalDocument:
    draft = consents.save_draft(
        document=LegalDocument(kind=kind, title=title or f"{kind} title", body=body)
    )
    return consents.publish_document(document=draft)


@pytest.fixture
def published(django_capture_on_commit_callbacks):
    """Current terms v1 and privacy v1; flagging runs (the immediate backend)."""
    with django_capture_on_commit_callbacks(execute=True):
        terms = publish("terms", "[b]Be kind.[/b]", "Forum rules")
        privacy = publish("privacy", "We keep little.", "Privacy policy")
    return {"terms": terms, "privacy": privacy}


def registration(client, username="carol", **extra):
    form = client.get("/accounts/register/").context["form"]
    data = {
        "username": username,
        "email": f"{username}@example.com",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    if "legal_versions" in form.fields:
        data["legal_versions"] = form.initial["legal_versions"]
    data.update(extra)
    return client.post(
        "/accounts/register/", {k: v for k, v in data.items() if v is not None}
    )


def test_with_nothing_published_nothing_is_asked(client, member):
    response = client.get("/accounts/register/")
    assert "agree" not in response.context["form"].fields
    assert registration(client).status_code == 302
    assert not Agreement.objects.exists()
    client.force_login(member)
    assert client.get("/").status_code == 200
    assert client.get("/terms/").status_code == 404
    assert client.get("/privacy/").status_code == 404


def test_the_pages_show_the_current_versions(client, published):
    page = client.get("/terms/").content.decode()
    assert "Forum rules" in page and "<b>Be kind.</b>" in page
    assert "Version 1" in page
    draft = consents.save_draft(
        document=LegalDocument(kind="terms", title="Draft rules", body="Soon.")
    )
    assert draft.version == 2
    assert "Draft rules" not in client.get("/terms/").content.decode()
    assert "We keep little." in client.get("/privacy/").content.decode()


def test_registration_requires_agreeing_and_records_it(client, published):
    refused = registration(client)
    assert refused.status_code == 200
    assert "To join, agree to the terms" in refused.content.decode()
    assert 'value="carol"' in refused.content.decode()  # what was typed stays
    assert not User.objects.filter(username="carol").exists()

    assert registration(client, agree="on").status_code == 302
    carol = User.objects.get(username="carol")
    assert (carol.agreed_terms_version, carol.agreed_privacy_version) == (1, 1)
    assert not carol.consent_due
    assert set(carol.agreements.values_list("document__kind", flat=True)) == {
        "terms",
        "privacy",
    }
    assert client.get("/").status_code == 200


def test_a_version_published_while_registering_is_asked_again(
    client, published, django_capture_on_commit_callbacks
):
    form = client.get("/accounts/register/").context["form"]
    shown = form.initial["legal_versions"]
    with django_capture_on_commit_callbacks(execute=True):
        publish("terms", "Stricter now.")
    response = client.post(
        "/accounts/register/",
        {
            "username": "carol",
            "email": "carol@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "agree": "on",
            "legal_versions": shown,
        },
    )
    assert response.status_code == 200
    assert "changed while you were filling in" in response.content.decode()
    assert not User.objects.filter(username="carol").exists()
    # The form shown again carries the new versions and no tick.
    assert response.context["form"].data["legal_versions"] == "privacy:1,terms:2"
    assert "agree" not in response.context["form"].data


def test_a_new_version_is_asked_on_the_next_visit(
    client, member, published, django_capture_on_commit_callbacks
):
    consents.record_agreement(user=member, versions="privacy:1,terms:1")
    client.force_login(member)
    assert client.get("/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        publish("terms", "New rules.", "Forum rules, 2027")

    board_page = client.get("/members/?sort=posts")
    agree_url = reverse("accounts:agree")
    assert board_page.status_code == 302
    assert board_page["Location"].startswith(agree_url + "?next=")

    page = client.get(board_page["Location"])
    text = page.content.decode()
    assert "Forum rules, 2027" in text and "New rules." in text
    assert "We keep little." not in text  # privacy v1 was agreed already

    unticked = client.post(agree_url, {"versions": "privacy:1,terms:2"})
    assert unticked.status_code == 200
    assert "Tick the box" in unticked.content.decode()

    agreed = client.post(
        agree_url,
        {
            "versions": "privacy:1,terms:2",
            "agree": "on",
            "next": "/members/?sort=posts",
        },
    )
    assert agreed["Location"] == "/members/?sort=posts"
    member.refresh_from_db()
    assert (member.agreed_terms_version, member.consent_due) == (2, False)
    newest = member.agreements.order_by("-document__version").first()
    assert newest.document.version == 2 and newest.agreed_at is not None
    assert client.get("/").status_code == 200


def test_agreeing_to_a_version_no_longer_current_records_nothing(
    client, member, published, django_capture_on_commit_callbacks
):
    client.force_login(member)
    with django_capture_on_commit_callbacks(execute=True):
        publish("privacy", "Changed again.")
    response = client.post(
        reverse("accounts:agree"),
        {"versions": "privacy:1,terms:1", "agree": "on", "next": "/"},
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:agree"))
    assert not member.agreements.exists()
    member.refresh_from_db()
    assert member.consent_due


def test_what_is_never_redirected(client, member, published, staff):
    client.force_login(member)
    assert member.__class__.objects.get(pk=member.pk).consent_due
    for path in ("/terms/", "/privacy/", reverse("accounts:agree")):
        assert client.get(path).status_code == 200, path
    # A form sent just as the version changed still goes through.
    preview = client.post("/preview/", {"body": "[b]hello[/b]"})
    assert preview.status_code == 200
    htmx = client.get("/", headers={"HX-Request": "true"})
    assert htmx.status_code == 200
    assert htmx["HX-Redirect"].startswith(reverse("accounts:agree"))
    client.force_login(staff)
    assert client.get("/admin/").status_code == 200


def test_next_never_leaves_the_site(client, member, published):
    client.force_login(member)
    response = client.post(
        reverse("accounts:agree"),
        {
            "versions": "privacy:1,terms:1",
            "agree": "on",
            "next": "https://evil.example/",
        },
    )
    assert response["Location"] == reverse("forum:index")


def test_the_check_costs_no_query(client, member, published):
    consents.record_agreement(user=member, versions="privacy:1,terms:1")
    client.force_login(member)
    count_queries(client, "/")  # warm the page's caches
    with_documents = count_queries(client, "/")
    LegalDocument.objects.update(published_at=None)  # nothing published
    count_queries(client, "/")
    assert count_queries(client, "/") == with_documents


def test_flagging_is_batched_and_flags_each_member_once(settings, published):
    behind = [make_member() for _ in range(3)]
    done = make_member("done")
    consents.record_agreement(user=done, versions="privacy:1,terms:1")
    User.objects.update(consent_due=False)
    consents.FLAG_BATCH, saved = 2, consents.FLAG_BATCH
    try:
        assert consents.ask_members_to_agree.call() == len(behind)
        assert consents.ask_members_to_agree.call() == 0
    finally:
        consents.FLAG_BATCH = saved
    assert set(User.objects.filter(consent_due=True)) == set(behind)


def test_staff_write_and_publish_versions_in_admin(
    staff_client, member, django_capture_on_commit_callbacks
):
    add = staff_client.post(
        reverse("admin:accounts_legaldocument_add"),
        {"kind": "terms", "title": "House rules", "body": "[i]No spam.[/i]"},
    )
    assert add.status_code == 302
    document = LegalDocument.objects.get()
    assert (document.version, document.published_at) == (1, None)
    assert "<i>No spam.</i>" in document.body_html
    member.refresh_from_db()
    assert not member.consent_due  # a draft asks nothing

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            reverse("admin:accounts_legaldocument_changelist"),
            {"action": "publish", "_selected_action": [document.pk]},
        )
    document.refresh_from_db()
    assert document.published_at is not None
    member.refresh_from_db()
    assert member.consent_due

    # Published versions are read-only: a change is a new version.
    change = reverse("admin:accounts_legaldocument_change", args=[document.pk])
    assert "House rules" in staff_client.get(change).content.decode()
    refused = staff_client.post(
        change, {"kind": "terms", "title": "Sneaky", "body": "Changed."}
    )
    assert refused.status_code == 403
    document.refresh_from_db()
    assert document.title == "House rules"
