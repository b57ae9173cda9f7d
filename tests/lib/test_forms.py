"""`lib.forms.run_service`: the one way a view calls a service behind a form."""

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from engage.lib.concurrency import ConcurrentEditError
from engage.lib.forms import Done, run_service


class NoteForm(forms.Form):
    note = forms.CharField()


def _request(method: str = "post"):
    request = getattr(RequestFactory(), method)("/", {"note": "x"} if method == "post" else {})
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def _messages(request) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in get_messages(request)]


def test_it_calls_the_service_and_returns_what_it_returned():
    request = _request()
    form = NoteForm(request.POST)
    done = run_service(request, form, lambda: form.cleaned_data["note"] * 2, "Saved.")
    assert done == Done("xx")
    assert _messages(request) == [("success", "Saved.")]


def test_it_is_done_even_when_the_service_returns_nothing():
    request = _request()
    assert run_service(request, NoteForm(request.POST), lambda: None)


def test_it_does_nothing_for_a_form_not_sent_or_invalid():
    called = []
    request = _request("get")
    assert run_service(request, NoteForm(), lambda: called.append(1)) is None
    invalid = _request()
    assert run_service(invalid, NoteForm({}), lambda: called.append(1)) is None
    assert called == [] and _messages(invalid) == []


def test_it_shows_a_refusal_next_to_its_field():
    request = _request()
    form = NoteForm(request.POST)

    def refuse():
        raise ValidationError({"note": "Not this note.", "other": "Said at the top."})

    assert run_service(request, form, refuse, "Saved.") is None
    assert form.errors["note"] == ["Not this note."]
    assert form.non_field_errors() == ["Said at the top."]
    assert _messages(request) == []


def test_it_says_someone_else_changed_the_record():
    request = _request()
    form = NoteForm(request.POST)

    def conflict():
        raise ConcurrentEditError

    assert run_service(request, form, conflict) is None
    assert form.non_field_errors() == [str(ConcurrentEditError.message)]


def test_without_a_form_it_acts_and_a_refusal_is_a_message():
    request = _request()

    def refuse():
        raise ValidationError("Not now.")

    assert run_service(request, None, refuse, "Done.") is None
    assert _messages(request) == [("error", "Not now.")]
    assert run_service(_request("get"), None, lambda: 1) == Done(1)


def test_it_lets_other_exceptions_through():
    with pytest.raises(KeyError):
        run_service(_request(), None, lambda: {}["missing"])
