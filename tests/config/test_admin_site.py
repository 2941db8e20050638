"""The admin's query strings: a NUL, which PostgreSQL refuses in any text it is
sent, is answered as a filter Django cannot apply or a search that finds nothing."""

import pytest

from tests.factories import make_board

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/admin/forum/report/",
        "/admin/forum/boardpermission/",
        "/admin/forum/moderationaction/",
        "/admin/django_tasks_database/dbtaskresult/",
    ],
)
@pytest.mark.parametrize("value", ["\x00", "open\x00"])
def test_a_choice_filter_holding_a_nul_is_refused_as_django_refuses_filters(
    staff_client, url, value
):
    name = {
        "/admin/forum/boardpermission/": "audience__exact",
        "/admin/forum/moderationaction/": "action__exact",
    }.get(url, "status__exact")
    response = staff_client.get(url, {name: value})
    assert response.status_code == 302
    assert response["Location"] == f"{url}?e=1"
    assert staff_client.get(f"{url}?e=1").status_code == 200


def test_a_nul_in_a_second_value_or_a_name_is_refused_too(staff_client):
    url = "/admin/forum/report/"
    assert staff_client.get(url, {"status__exact": ["open", "\x00"]}).status_code == 302
    assert staff_client.get(url, {"stat\x00us": "open"}).status_code == 302
    assert staff_client.get(url, {"status__exact": "open"}).status_code == 200
    assert staff_client.get(url, {"q": "spam"}).status_code == 200


@pytest.mark.parametrize("term", ["\x00", "Ch\x00"])
def test_an_autocomplete_term_holding_a_nul_finds_nothing(staff_client, term):
    make_board("Chat")
    query = {"app_label": "forum", "model_name": "board", "field_name": "category"}
    response = staff_client.get("/admin/autocomplete/", {**query, "term": term})
    assert response.status_code == 200
    assert response.json() == {"results": [], "pagination": {"more": False}}
    found = staff_client.get("/admin/autocomplete/", {**query, "term": "Gen"})
    assert [row["text"] for row in found.json()["results"]] == ["General"]


def test_the_autocomplete_is_still_for_staff_only(client, member):
    client.force_login(member)
    response = client.get("/admin/autocomplete/", {"term": "\x00"})
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
