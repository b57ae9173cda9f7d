"""Two people edit the same case at once (R37): the second save is refused with the conflict
message above the form, and the first write is kept."""

import pytest

from engage.cases.factories import CaseFactory
from engage.cases.models import Person
from engage.lib.concurrency import ConcurrentEditError
from tests.browser.phone import let_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_refuses_the_second_of_two_concurrent_edits(
    browser, live_server, alice, bob, organisation
):
    case = CaseFactory(organisation=organisation, case_manager=alice, person__phone="+359 1")
    contexts = [browser.new_context(base_url=live_server.url) for _ in range(2)]
    try:
        first, second = (context.new_page() for context in contexts)
        for page, who in ((first, alice), (second, bob)):
            page.set_default_timeout(10_000)
            # Both forms carry version 1.
            let_in(page, live_server, who, to=f"/privacy/cases/{case.pk}/rectify/")
        first.get_by_label("Phone").fill("+359 111 111 111")
        second.get_by_label("Phone").fill("+359 222 222 222")

        first.get_by_role("button", name="Save").click()
        first.locator(".message.success").wait_for()
        second.get_by_role("button", name="Save").click()
        alert = second.locator("form .form-errors[role=alert]")  # in the form, above its fields
        alert.wait_for()
        assert str(ConcurrentEditError.message) in alert.inner_text()
        assert second.url.endswith("/rectify/")  # still on the form, with what they typed
        assert second.get_by_label("Phone").input_value() == "+359 222 222 222"
    finally:
        for context in contexts:
            context.close()

    person = Person.objects.get(pk=case.person_id)
    assert person.phone == "+359 111 111 111"
    assert person.version == 2
