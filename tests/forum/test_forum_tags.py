"""Template helpers: the blank-form shortcut must render exactly what crispy does."""

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_form

from forum.forms import EditPostForm, ReplyForm
from forum.templatetags.forum_tags import crispy_form


def test_a_blank_form_renders_as_crispy_renders_it_with_its_own_token():
    first, second = ReplyForm(), ReplyForm()
    assert crispy_form(first) == as_crispy_form(first)
    assert str(first.initial["submission_token"]) in crispy_form(first)
    assert str(first.initial["submission_token"]) not in crispy_form(second)


def test_bound_and_prefilled_forms_are_rendered_afresh():
    bound = ReplyForm({"body": "", "submission_token": ""})
    assert crispy_form(bound) == as_crispy_form(bound)
    assert "Please write a message" in crispy_form(bound)
    prefilled = EditPostForm(initial={"body": "Typed <b>before</b>"})
    assert "Typed &lt;b&gt;before&lt;/b&gt;" in crispy_form(prefilled)
