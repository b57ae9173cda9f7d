"""The stakeholder map, activities and cost pages: scoping, forms, filters, empty states."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engage.audit.models import AuditEvent
from engage.network import services
from engage.network.factories import ActivityFactory, StakeholderFactory
from engage.network.models import Activity, Interaction, Stakeholder
from engage.network.views import PAGE_SIZE

D = datetime.date


@pytest.fixture
def world(organisation, other_organisation, bob, olga, nadia):
    ours = StakeholderFactory(name="Sofia municipality", organisation=organisation,
                              created_by=bob, actor_type="local_authority")  # fmt: skip
    Interaction.objects.create(stakeholder=ours, date=D(2024, 1, 5), type="meeting",
                               people="Ivana Petrova, deputy mayor", note="Agreed a pilot",
                               recorded_by=bob)  # fmt: skip
    theirs = StakeholderFactory(name="Nicosia ombudsperson", organisation=other_organisation,
                                created_by=olga, actor_type="ombudsperson")  # fmt: skip
    Interaction.objects.create(stakeholder=theirs, date=D(2024, 1, 6), type="call",
                               people="Andreas Georgiou", recorded_by=olga)  # fmt: skip
    shared = StakeholderFactory(name="Cyprus bar association", organisation=other_organisation,
                                created_by=olga, actor_type="cso", shared=True)  # fmt: skip
    Interaction.objects.create(stakeholder=shared, date=D(2024, 1, 7), type="email",
                               people="Maria Christou", recorded_by=olga)  # fmt: skip
    network = StakeholderFactory(name="DG Home", organisation=None, created_by=nadia,
                                 actor_type="national_authority", level="eu", country="")  # fmt: skip
    Interaction.objects.create(stakeholder=network, date=D(2024, 1, 8), type="meeting",
                               people="Jean Dupont, policy officer", recorded_by=nadia)  # fmt: skip
    return {"ours": ours, "theirs": theirs, "shared": shared, "network": network}


@pytest.mark.django_db
def test_it_hides_another_organisations_stakeholders(world, as_user, alice):
    client = as_user(alice)
    page = client.get("/network/").content.decode()
    assert "Sofia municipality" in page and "Cyprus bar association" in page
    assert "Nicosia ombudsperson" not in page and "DG Home" not in page
    assert client.get(world["theirs"].get_absolute_url()).status_code == 404
    assert client.get(world["network"].get_absolute_url()).status_code == 404


@pytest.mark.django_db
def test_it_keeps_the_interactions_and_their_people_to_the_owner(world, as_user, alice, nadia):
    own = as_user(alice).get(world["ours"].get_absolute_url()).content.decode()
    assert "Ivana Petrova" in own  # a case manager of the owner reads the log
    shared = as_user(alice).get(world["shared"].get_absolute_url()).content.decode()
    assert "Cyprus bar association" in shared and "Maria Christou" not in shared
    coordinator = as_user(nadia)
    shared = coordinator.get(world["shared"].get_absolute_url()).content.decode()
    assert "Maria Christou" not in shared
    assert "Jean Dupont" in coordinator.get(world["network"].get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_a_shared_stakeholders_about_text_stays_with_its_owner(world, as_user, alice, olga, nadia):
    # Shared, a stakeholder gives others its name, type, level, place and stage only.
    shared = world["shared"]
    Stakeholder.objects.filter(pk=shared.pk).update(
        description="Sentinelabout: the deputy dean Christou talks to the border police"
    )
    for reader in (alice, nadia):
        client = as_user(reader)
        page = client.get(shared.get_absolute_url()).content.decode()
        assert "Cyprus bar association" in page and "Sentinelabout" not in page
        found = client.get("/network/", {"q": "Christou"}).content.decode()
        assert "Cyprus bar association" not in found  # nor found by it
    owner = as_user(olga)
    assert "Sentinelabout" in owner.get(shared.get_absolute_url()).content.decode()
    assert "Cyprus bar association" in owner.get("/network/", {"q": "Christou"}).content.decode()


@pytest.mark.django_db
def test_the_coordinator_sees_the_networks_and_the_shared_stakeholders(world, as_user, nadia):
    page = as_user(nadia).get("/network/").content.decode()
    assert "DG Home" in page and "Cyprus bar association" in page
    assert "Sofia municipality" not in page and "Nicosia ombudsperson" not in page


@pytest.mark.django_db
def test_it_lets_only_the_owner_change_a_stakeholder(world, as_user, bob, alice, nadia):
    assert as_user(bob).get(f"/network/stakeholders/{world['shared'].pk}/edit/").status_code == 404
    response = as_user(nadia).post(f"/network/stakeholders/{world['shared'].pk}/stage/",
                                   {"stage": "partner", "date": "2024-02-01"})  # fmt: skip
    assert response.status_code == 404
    # A case manager reads the map but does not keep it.
    assert as_user(alice).get("/network/stakeholders/new/").status_code == 404


@pytest.mark.django_db
def test_it_adds_a_stakeholder_moves_its_stage_and_logs_an_interaction(organisation, as_user, bob):
    client = as_user(bob)
    response = client.post("/network/stakeholders/new/", {
        "name": "Ministry of Interior", "actor_type": "national_authority", "level": "national",
        "country": "BG", "city": "", "description": "", "stage": "contacted",
        "stage_date": "2024-01-10",
    })  # fmt: skip
    stakeholder = Stakeholder.objects.get(name="Ministry of Interior")
    assert response.status_code == 302 and stakeholder.organisation == organisation
    url = stakeholder.get_absolute_url()
    client.post(f"{url}stage/", {"stage": "engaged", "date": "2024-03-01", "version": 1})
    client.post(
        f"{url}interactions/new/",
        {"date": "2024-03-01", "type": "meeting", "people": "Director of migration", "note": "ok"},
    )
    stakeholder.refresh_from_db()
    assert stakeholder.stage == "engaged"
    assert [(c.stage, c.date) for c in stakeholder.stages.all()] == [
        ("contacted", D(2024, 1, 10)),
        ("engaged", D(2024, 3, 1)),
    ]
    page = client.get(url).content.decode()
    assert "Director of migration" in page
    # Each change is in the organisation's audit log, by whom, with no text of it.
    interaction = stakeholder.interactions.get()
    client.post(f"/network/interactions/{interaction.pk}/delete/", {"confirmed": "yes"})
    logged = list(
        AuditEvent.objects.filter(actor_id=bob.pk, object_type__startswith="network.")
        .order_by("at")
        .values_list("action", "object_type", "detail")
    )
    assert logged == [
        ("create", "network.stakeholder", ""),
        ("transition", "network.stakeholder", "stage=engaged"),
        ("create", "network.interaction", ""),
        ("update", "network.stakeholder", "interaction_removed"),
    ]


@pytest.mark.django_db
def test_it_refuses_a_stale_stage_change_and_keeps_the_first(world, as_user, bob, ada):
    ours = world["ours"]
    url = f"/network/stakeholders/{ours.pk}/stage/"
    # Both keepers open the stakeholder while it is at its first stage.
    for keeper in (bob, ada):
        page = as_user(keeper).get(ours.get_absolute_url()).content.decode()
        assert 'name="version" value="1"' in page
    first = {"stage": "engaged", "date": "2024-03-01", "version": 1}
    assert as_user(bob).post(url, first).status_code == 302
    response = as_user(ada).post(url, {"stage": "partner", "date": "2024-03-04", "version": 1})
    assert response.status_code == 400
    form = response.context["form"]
    assert "Someone else changed this record" in " ".join(form.non_field_errors())
    body = response.content.decode()  # what she chose and typed, shown again
    assert '<option value="partner" selected>' in body and 'value="2024-03-04"' in body
    ours.refresh_from_db()
    assert (ours.stage, ours.version) == ("engaged", 2)
    assert [change.stage for change in ours.stages.all()] == ["identified", "engaged"]


@pytest.mark.django_db
def test_it_says_what_is_wrong_next_to_the_field(world, as_user, bob):
    client = as_user(bob)
    url = f"/network/stakeholders/{world['ours'].pk}/stage/"
    response = client.post(url, {"stage": "contacted", "date": "2023-01-01", "version": 1})
    assert response.status_code == 400
    assert response.context["form"].errors["date"]
    response = client.post("/network/activities/new/", {
        "kind": "training", "title": "Case management basics", "date": "2024-02-01",
        "participants": "5", "participants_lived_experience": "6",
    })  # fmt: skip
    assert response.status_code == 400
    assert "participants_lived_experience" in response.context["form"].errors
    # Said first, at the form's top, each error a link to its field (the summary takes the
    # focus), and next to the field, which points at it.
    page = response.content.decode()
    summary = page.split("data-error-summary", 1)[1].split("</div>", 1)[0]
    assert 'href="#id_participants_lived_experience"' in summary
    assert 'aria-describedby="id_participants_lived_experience_error"' in page
    assert 'id="id_participants_lived_experience_error"' in page
    # The activities' filters too: a date that is none, next to its field and linked to it.
    page = client.get("/network/activities/", {"start": "soon"}).content.decode()
    assert 'aria-describedby="id_start_error"' in page and 'id="id_start_error"' in page
    response = client.post("/network/activities/new/", {
        "kind": "pilot_started", "title": "Plovdiv", "date": "2024-02-01",
    })  # fmt: skip
    assert set(response.context["form"].errors) >= {"expansion", "country"}
    assert not Activity.objects.exists()


@pytest.mark.django_db
def test_it_filters_pages_and_groups_the_map(world, as_user, bob, organisation):
    for n in range(30):
        StakeholderFactory(name=f"Academy {n:02d}", organisation=organisation, created_by=bob,
                           actor_type="academia")  # fmt: skip
    client = as_user(bob)
    page = client.get("/network/", {"actor_type": "academia"})
    assert page.context["page"].paginator.count == 30
    assert len(page.context["page"].object_list) == 25
    assert "Sofia municipality" not in page.content.decode()
    assert client.get("/network/", {"q": "nothing like it"}).context["page"].paginator.count == 0
    assert "No stakeholder matches" in client.get("/network/", {"q": "zz"}).content.decode()
    grouped = client.get("/network/map/")
    assert grouped.context["count"] == 32  # ours, the shared one and the thirty academies
    academia = next(row for row in grouped.context["rows"] if row["label"] == "Academia")
    assert academia["total"] == 30
    # A card a type of actor on a phone: each cell named by its stage, the totals too.
    page = grouped.content.decode()
    assert '<table class="table stack" id="stakeholder-map">' in page
    assert '<td data-label="Identified">' in page
    assert '<td class="n" data-label="Partner">' in page


@pytest.mark.django_db
def test_it_pages_the_map_in_a_constant_number_of_queries(as_user, bob, organisation):
    def add(start, count, **fields):
        for n in range(start, start + count):
            StakeholderFactory(name=f"Academy {n:03}", organisation=organisation, created_by=bob,
                               **{"actor_type": "academia", **fields})  # fmt: skip

    add(0, PAGE_SIZE + 1)
    StakeholderFactory(name="A ministry", organisation=organisation, created_by=bob)
    client = as_user(bob)
    with CaptureQueriesContext(connection) as first:
        response = client.get("/network/map/", {"actor_type": "academia"})
    page = response.content.decode()
    # A page is a slice of the map, in its order; the counts are the whole map's.
    assert response.context["page"].paginator.count == PAGE_SIZE + 1
    assert "Academy 000" in page and f"Academy {PAGE_SIZE - 1:03}" in page
    assert f"Academy {PAGE_SIZE:03}" not in page and "A ministry" not in page
    assert "1 more on another page" in page
    assert f'<td class="n" data-label="Total">{PAGE_SIZE + 1}</td>' in page
    # The next page keeps the filter.
    assert "?actor_type=academia&amp;page=2" in page
    second = client.get("/network/map/", {"actor_type": "academia", "page": 2})
    assert f"Academy {PAGE_SIZE:03}" in second.content.decode()
    assert f"{PAGE_SIZE} more on other pages" in second.content.decode()
    assert "Academy 000" not in second.content.decode()
    # More stakeholders, in more rows and cells: as many queries.
    add(PAGE_SIZE + 1, PAGE_SIZE, stage="partner")
    add(2 * PAGE_SIZE + 1, PAGE_SIZE, actor_type="media")
    with CaptureQueriesContext(connection) as more:
        response = client.get("/network/map/")
    assert len(more) == len(first)
    assert response.context["count"] == 3 * PAGE_SIZE + 2
    # The ministry's row comes first, as in the table; the rest follows on the next pages.
    assert [row["label"] for row in response.context["rows"] if row["listed"]] == [
        "National authority", "Academia",
    ]  # fmt: skip


@pytest.mark.django_db
def test_it_says_when_there_is_nothing_yet(as_user, bob):
    client = as_user(bob)
    assert "The stakeholder map is empty" in client.get("/network/").content.decode()
    assert "The stakeholder map is empty" in client.get("/network/map/").content.decode()
    assert "No activity recorded yet" in client.get("/network/activities/").content.decode()


@pytest.mark.django_db
def test_it_keeps_activities_to_their_side(organisation, other_organisation, as_user, bob, olga,
                                            charlie, nadia):  # fmt: skip
    ours = ActivityFactory(organisation=organisation, recorded_by=bob, title="Our training")
    ActivityFactory(organisation=None, recorded_by=nadia, title="Network conference")
    assert "Our training" not in as_user(charlie).get("/network/activities/").content.decode()
    assert as_user(olga).get(f"/network/activities/{ours.pk}/edit/").status_code == 404
    seen = as_user(nadia).get("/network/activities/").content.decode()
    # The coordinator gets members' activities as counts in the reports, not as records.
    assert "Our training" not in seen and "Network conference" in seen
    assert as_user(nadia).get(f"/network/activities/{ours.pk}/edit/").status_code == 404
    # A presentation neither high-profile nor invited says it has no details, not a bare label
    # (a phone shows each cell as "Details: …").
    ours = as_user(bob).get("/network/activities/").content.decode()
    assert re.search(r'data-label="Details">\s*—\s*</td>', ours)


@pytest.mark.django_db
def test_costs_are_entered_by_the_coordinator_and_the_org_admin(as_user, ada, bob, nadia):
    assert as_user(bob).get("/network/costs/budgets/").status_code == 404
    assert as_user(ada).get("/network/costs/detention/").status_code == 404
    response = as_user(ada).post("/network/costs/budgets/", {
        "start": "2024-01-01", "end": "2023-12-31", "amount": "100", "currency": "EUR",
    })  # fmt: skip
    assert response.context["form"].errors["end"]
    response = as_user(nadia).post("/network/costs/detention/", {
        "country": "BG", "year": "2023", "amount": "95", "currency": "eur", "source": "x",
    })  # fmt: skip
    assert response.context["form"].errors["currency"]
    response = as_user(nadia).post("/network/costs/detention/", {
        "country": "BG", "year": "2023", "amount": "95", "currency": "EUR", "source": "x",
    })  # fmt: skip
    assert response.status_code == 302


@pytest.mark.django_db
def test_it_loads_the_stakeholder_list_with_few_queries(world, as_user, bob, organisation,
                                                        django_assert_max_num_queries):  # fmt: skip
    for n in range(20):
        services.save_stakeholder(by=bob, data={
            "name": f"S{n}", "actor_type": "media", "level": "local", "country": "BG",
            "city": "", "description": "", "shared": False,
        })  # fmt: skip
    client = as_user(bob)
    with django_assert_max_num_queries(12):
        client.get("/network/")


@pytest.mark.django_db
def test_only_the_coordinator_reaches_a_cost_of_detention(as_user, alice, bob, ada, charlie,
                                                          nadia):  # fmt: skip
    cost = services.save_detention_cost(by=nadia, data={
        "country": "BG", "year": 2023, "amount": 95, "currency": "EUR", "source": "x",
    })  # fmt: skip
    url = f"/network/costs/detention/{cost.pk}/"
    for user in (alice, bob, ada, charlie):
        assert as_user(user).get(url).status_code == 404
        assert as_user(user).post(url, {"year": "2022"}).status_code == 404
    assert as_user(nadia).get(url).status_code == 200


@pytest.mark.django_db
def test_the_services_refuse_a_change_to_another_sides_records(world, bob, olga, nadia):
    from django.core.exceptions import PermissionDenied

    for by, stakeholder in ((bob, world["theirs"]), (nadia, world["ours"]),
                            (olga, world["network"])):  # fmt: skip
        with pytest.raises(PermissionDenied):
            services.change_stage(stakeholder, by=by, stage="partner", date=D(2024, 5, 1))
        with pytest.raises(PermissionDenied):
            services.log_interaction(stakeholder, by=by, data={"date": D(2024, 5, 1),
                                                               "type": "call"})  # fmt: skip
    activity = ActivityFactory(organisation=None, recorded_by=nadia)
    with pytest.raises(PermissionDenied):
        services.delete_activity(activity, by=bob)


@pytest.mark.django_db
def test_removing_an_activity_asks_first(organisation, as_user, bob):
    """One click removed it, from the list and the NET indicators, with no way back."""
    activity = ActivityFactory(organisation=organisation, recorded_by=bob, title="Our training")
    client = as_user(bob)
    asked = client.post(f"/network/activities/{activity.pk}/delete/")
    assert asked.status_code == 200 and "Remove this activity?" in asked.content.decode()
    assert Activity.objects.filter(pk=activity.pk).exists()
    done = client.post(f"/network/activities/{activity.pk}/delete/", {"confirmed": "yes"})
    assert done.status_code == 302 and not Activity.objects.filter(pk=activity.pk).exists()


@pytest.mark.django_db
def test_it_refuses_a_stale_edit_of_a_budget_and_keeps_the_first(as_user, ada, organisation):
    from engage.accounts.factories import UserFactory
    from engage.accounts.models import Role
    from engage.network.models import ProgrammeBudget

    budget = services.save_budget(by=ada, data={
        "start": D(2024, 1, 1), "end": D(2024, 12, 31), "amount": 1000, "currency": "EUR",
        "covers": "",
    })  # fmt: skip
    other_admin = UserFactory(organisation=organisation, role=Role.ORG_ADMIN)
    url = f"/network/costs/budgets/{budget.pk}/"
    read = {"start": "2024-01-01", "end": "2024-12-31", "currency": "EUR",
            "version": budget.version}  # fmt: skip
    assert as_user(ada).post(url, dict(read, amount="1200")).status_code == 302
    response = as_user(other_admin).post(url, dict(read, amount="1500", covers="Two workers"))
    body = response.content.decode()
    assert response.status_code == 400 and "Someone else changed this record" in body
    assert 'value="1500"' in body and "Two workers" in body  # what was typed, shown again
    budget = ProgrammeBudget.objects.get()
    assert (budget.amount, budget.covers, budget.version) == (1200, "", 2)


@pytest.mark.django_db
def test_it_refuses_a_stale_edit_of_a_cost_of_detention_and_keeps_the_first(as_user, nadia):
    from engage.network.models import DetentionCost

    cost = services.save_detention_cost(by=nadia, data={
        "country": "BG", "year": 2023, "amount": 95, "currency": "EUR", "source": "x",
    })  # fmt: skip
    url = f"/network/costs/detention/{cost.pk}/"
    # One read, in two tabs: the second save would undo the first without a word.
    read = {"country": "BG", "year": "2023", "currency": "EUR", "version": cost.version}
    client = as_user(nadia)
    assert client.post(url, dict(read, amount="97", source="2023 report")).status_code == 302
    response = client.post(url, dict(read, amount="99", source="Reply of the ministry"))
    body = response.content.decode()
    assert response.status_code == 400 and "Someone else changed this record" in body
    assert 'value="99"' in body and "Reply of the ministry" in body
    cost = DetentionCost.objects.get()
    assert (cost.amount, cost.source, cost.version) == (97, "2023 report", 2)
