"""Evaluation cycles: points of a term, frozen snapshots, narratives with version checks, the
snapshots side by side, and the coordinator's pages."""

import io
import json
import time
from urllib.parse import urlencode

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from engage.accounts.factories import UserFactory
from engage.accounts.permissions import AUTHENTICATED_AT
from engage.audit.models import AuditEvent
from engage.lib.concurrency import ConcurrentEditError
from engage.mel import services
from engage.mel.cycles import services as cycles
from engage.mel.dataset import submission
from engage.mel.models import EvaluationCycle, Narrative, Snapshot
from tests.accounts.test_step_up import _stale
from tests.mel.rows import row
from tests.mel.terms import TERM
from tests.pdf import pdf_text

pytestmark = pytest.mark.django_db


def _import(tmp_path, rows, period_end="2024-12", name="sub"):
    folder = tmp_path / name
    submission.write(folder, "BG-CLA", period_end, rows)
    services.import_submission(folder)


def _rows(engaged=20, removed=0):
    rows = [row(n, inclusion_month="2023-03") for n in range(engaged)]
    rows += [
        row(100 + n, inclusion_month="2023-03", status="closed", closure_month="2023-10",
            closure_reason="removed")
        for n in range(removed)
    ]  # fmt: skip
    return rows


@pytest.fixture
def cycle(nadia):
    return cycles.define_cycle(by=nadia, data=TERM)


def _figure(report, indicator_id, name="numerator"):
    return next(i for i in report["indicators"] if i["id"] == indicator_id)[name]


class TestCycles:
    def test_it_wants_real_months_in_the_order_of_the_term(self, nadia):
        with pytest.raises(ValidationError) as refused:
            cycles.define_cycle(by=nadia, data={**TERM, "baseline": "2023-13", "midterm": ""})
        assert set(refused.value.error_dict) == {"baseline", "midterm"}
        with pytest.raises(ValidationError) as refused:
            cycles.define_cycle(by=nadia, data={**TERM, "midterm": "2023-11"})
        assert set(refused.value.error_dict) == {"midterm"}

    def test_it_is_the_network_coordinators_only(self, ada, cycle):
        with pytest.raises(PermissionDenied):
            cycles.define_cycle(by=ada, data=TERM)
        with pytest.raises(PermissionDenied):
            cycles.take_snapshot(cycle, "baseline", by=ada, level="network")


class TestSnapshots:
    def test_a_later_correction_does_not_change_a_published_figure(self, cycle, nadia, tmp_path):
        _import(tmp_path, _rows(engaged=20), name="first")
        baseline = cycles.take_snapshot(cycle, "baseline", by=nadia, level="exact")
        assert _figure(baseline.report, "BEN-03") == 20
        assert baseline.report["period"] == {"start": "2023-01", "end": "2023-06"}
        # The pilot corrects its data: 25 clients, 5 of them later removed.
        _import(tmp_path, _rows(engaged=20, removed=5), name="corrected")
        six = cycles.take_snapshot(cycle, "6m", by=nadia, level="exact")
        baseline.refresh_from_db()
        assert _figure(baseline.report, "BEN-03") == 20  # frozen
        assert _figure(six.report, "BEN-03") == 25 and _figure(six.report, "ENG-03") == 5
        compared = cycles.comparison(cycle)
        assert [p["point"] for p in compared["points"]] == ["baseline", "6m"]
        ben03 = next(r for r in compared["indicators"] if r["id"] == "BEN-03")
        assert [c["numerator"] for c in ben03["cells"]] == [20, 25]
        eng03 = next(r for r in compared["indicators"] if r["id"] == "ENG-03")
        assert [(c["numerator"], c["value"]) for c in eng03["cells"]] == [(0, 0.0), (5, 20.0)]

    def test_it_applies_its_disclosure_level_before_storing(self, cycle, nadia, tmp_path):
        _import(tmp_path, _rows(engaged=20, removed=3))
        snapshot = cycles.take_snapshot(cycle, "6m", by=nadia, level="network")
        # 3 people, perturbed at network level (1 to 5, docs/indicators.md), never shown as 3.
        assert _figure(snapshot.report, "ENG-03") in ("<5", 5)
        assert snapshot.disclosure == "network" and snapshot.source == "imported"
        assert snapshot.pilots == ["BG-CLA"]

    def test_no_snapshot_is_frozen_of_submissions_nobody_imported(self, cycle, nadia):
        """Frozen empty, it said no client was in the programme, and the point was spent."""
        with pytest.raises(ValidationError, match="No pilot's submission has been imported"):
            cycles.take_snapshot(cycle, "baseline", by=nadia, level="network")
        assert not Snapshot.objects.exists()

    def test_a_point_has_one_snapshot_and_none_before_its_month(self, cycle, nadia, tmp_path):
        _import(tmp_path, _rows())
        cycles.take_snapshot(cycle, "baseline", by=nadia, level="network")
        with pytest.raises(ValidationError, match="already taken"):
            cycles.take_snapshot(cycle, "baseline", by=nadia, level="public")
        future = cycles.define_cycle(by=nadia, data={**TERM, "end_of_term": "2099-12"})
        with pytest.raises(ValidationError, match="future"):
            cycles.take_snapshot(future, "end", by=nadia, level="network")
        assert Snapshot.objects.count() == 1

    def test_exact_figures_are_logged_when_taken_and_downloaded(self, cycle, nadia, tmp_path):
        _import(tmp_path, _rows())
        snapshot = cycles.take_snapshot(cycle, "baseline", by=nadia, level="exact")
        cycles.snapshot_disclosed(snapshot, by=nadia, channel="downloaded")
        cycles.comparison_bytes(cycle, "json", by=nadia)
        exports = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT)
        assert exports.count() == 3 and all(e.actor_id == nadia.pk for e in exports)

    def test_a_cycle_with_snapshots_cannot_be_deleted(self, cycle, nadia, tmp_path):
        _import(tmp_path, _rows())
        cycles.take_snapshot(cycle, "baseline", by=nadia, level="network")
        with pytest.raises(ValidationError):
            cycles.delete_cycle(cycle, by=nadia)
        empty = cycles.define_cycle(by=nadia, data={**TERM, "name": "Spare"})
        cycles.delete_cycle(empty, by=nadia)
        assert list(EvaluationCycle.objects.values_list("name", flat=True)) == [TERM["name"]]


class TestNarratives:
    def test_it_refuses_to_overwrite_someone_elses_edit(self, cycle, nadia, tmp_path):
        _import(tmp_path, _rows())
        snapshot = cycles.take_snapshot(cycle, "baseline", by=nadia, level="network")
        first = cycles.save_narrative(
            snapshot, "engagement", by=nadia, data={"progress": "Most stay engaged."},
            expected_version=None,
        )  # fmt: skip
        with pytest.raises(ConcurrentEditError):  # someone else also opened an empty one
            cycles.save_narrative(
                snapshot, "engagement", by=nadia, data={"progress": "x"}, expected_version=None
            )
        cycles.save_narrative(
            snapshot, "engagement", by=nadia, data={"progress": "Second", "lessons": "L"},
            expected_version=first.version,
        )  # fmt: skip
        with pytest.raises(ConcurrentEditError):
            cycles.save_narrative(
                snapshot, "engagement", by=nadia, data={"progress": "stale"},
                expected_version=first.version,
            )  # fmt: skip
        saved = Narrative.objects.get()
        assert (saved.progress, saved.lessons, saved.version) == ("Second", "L", 2)
        written = next(
            n for n in cycles.comparison(cycle)["narratives"] if n["area"] == "engagement"
        )
        assert written["by_point"][0]["progress"] == "Second"


class TestPages:
    def test_the_coordinator_defines_a_cycle_snapshots_it_and_compares(
        self, nadia, as_user, tmp_path
    ):
        _import(tmp_path, _rows(engaged=20, removed=5))
        client = as_user(nadia)
        assert client.get(reverse("mel:cycles")).status_code == 200
        response = client.post(reverse("mel:cycle_new"), {**TERM, "six_months": "2023-01"})
        assert response.status_code == 200 and "comes before" in response.content.decode()
        response = client.post(reverse("mel:cycle_new"), TERM)
        cycle = EvaluationCycle.objects.get()
        assert response.url == reverse("mel:cycle", args=[cycle.pk])
        take = reverse("mel:snapshot_take", args=[cycle.pk])
        assert "frozen" in client.get(f"{take}?point=baseline").content.decode()
        unconfirmed = {"point": "baseline", "disclosure": "network", "source": "imported"}
        assert client.post(take, unconfirmed).status_code == 200  # asks to confirm
        assert not Snapshot.objects.exists()
        response = client.post(take, {**unconfirmed, "confirm": "on"})
        snapshot = Snapshot.objects.get()
        assert response.url == reverse("mel:snapshot", args=[snapshot.pk])
        page = client.get(response.url).content.decode()
        assert "BEN-03" in page and "<svg" in page
        narrative = reverse("mel:narrative", args=[snapshot.pk])
        assert client.get(f"{narrative}?area=engagement").status_code == 200
        response = client.post(
            narrative, {"area": "engagement", "progress": "Steady", "version": ""}
        )
        assert response.status_code == 302
        detail = client.get(reverse("mel:cycle", args=[cycle.pk])).content.decode()
        # The cohort of 25 as published at network level (perturbed: the baseline's rows, taken
        # back to 2023-06 from the submission for 2024-12, are as the snapshot froze them).
        shown = next(i for i in snapshot.report["indicators"] if i["id"] == "BEN-03")
        assert "Steady" in detail and f">{shown['numerator']}<" in detail.replace(" ", "")
        # The term, its points and the snapshots' periods and levels said in words, not codes.
        term = "January 2023 \N{EN DASH} December 2024"
        assert term in detail and "<td>June 2023</td>" in detail
        assert "2023-06" not in detail and "Network: counts 1 to 4" in detail
        assert term in client.get(reverse("mel:cycles")).content.decode()
        assert "Period January 2023 to June 2023" in page
        download = reverse("mel:comparison_download", args=[cycle.pk])
        data = json.loads(client.get(f"{download}?format=json").content)
        assert data["points"][0]["point"] == "baseline"
        pdf = client.get(f"{download}?format=pdf")
        text = pdf_text(pdf.content)
        assert f"BEN-03 Clients ever supported {shown['numerator']}" in text
        files = reverse("mel:snapshot_download", args=[snapshot.pk])
        assert client.get(f"{files}?format=xlsx").status_code == 200
        assert client.get(f"{files}?format=exe").status_code == 404

    def test_a_stale_narrative_form_is_refused_and_says_so(self, nadia, as_user, tmp_path):
        _import(tmp_path, _rows())
        cycle = cycles.define_cycle(by=nadia, data=TERM)
        snapshot = cycles.take_snapshot(cycle, "baseline", by=nadia, level="network")
        cycles.save_narrative(snapshot, "growth", by=nadia, data={"lessons": "A"},
                              expected_version=None)  # fmt: skip
        response = as_user(nadia).post(
            reverse("mel:narrative", args=[snapshot.pk]),
            {"area": "growth", "lessons": "B", "version": ""},
        )
        assert response.status_code == 200 and "Someone else changed" in response.content.decode()
        assert Narrative.objects.get().lessons == "A"

    def test_exact_figures_need_the_password_again_and_each_showing_is_logged(
        self, nadia, tmp_path
    ):
        # A session whose password was typed an hour ago (an open laptop) neither takes an
        # exact snapshot nor reads one, as for the exact report and dashboard (R20).
        _import(tmp_path, _rows(engaged=20, removed=3))
        cycle = cycles.define_cycle(by=nadia, data=TERM)
        stale = _stale(nadia)
        take = reverse("mel:snapshot_take", args=[cycle.pk])
        exact = {"point": "baseline", "disclosure": "exact", "source": "imported",
                 "confirm": "on"}  # fmt: skip
        response = stale.post(take, exact)
        assert 'name="step_up-password"' in response.content.decode()  # the form carried
        assert not Snapshot.objects.exists()
        snapshot = cycles.take_snapshot(cycle, "baseline", by=nadia, level="exact")
        other = UserFactory(username="nadia2", network=True)
        pages = [reverse("mel:snapshot", args=[snapshot.pk]),
                 f"{reverse('mel:snapshot_download', args=[snapshot.pk])}?format=json",
                 f"{reverse('mel:narrative', args=[snapshot.pk])}?area=growth",
                 reverse("mel:cycle", args=[cycle.pk]),
                 f"{reverse('mel:comparison_download', args=[cycle.pk])}?format=json"]  # fmt: skip
        exports = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT)
        before = exports.count()
        for reader in (stale, _stale(other)):
            for page in pages:
                response = reader.get(page)
                assert response.status_code == 302, page
                assert response.url.startswith(reverse("accounts:confirm_password")), page
        assert exports.count() == before
        fresh = _stale(other)
        session = fresh.session
        session[AUTHENTICATED_AT] = time.time()
        session.save()
        for page in pages:
            assert fresh.get(page).status_code == 200, page
        shown = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT, actor_id=other.pk)
        assert shown.count() == len(pages)
        assert "exact figures shown" in shown.order_by("seq").first().detail

    @pytest.mark.parametrize("who", ["alice", "bob", "ada", "charlie"])
    def test_nobody_else_reaches_them(self, who, nadia, as_user, request, tmp_path):
        _import(tmp_path, _rows())
        cycle = cycles.define_cycle(by=nadia, data=TERM)
        snapshot = cycles.take_snapshot(cycle, "baseline", by=nadia, level="network")
        client = as_user(request.getfixturevalue(who))
        urls = [reverse("mel:cycles"), reverse("mel:cycle_new")]
        urls += [
            reverse(name, args=[cycle.pk])
            for name in (
                "mel:cycle",
                "mel:cycle_delete",
                "mel:snapshot_take",
                "mel:comparison_download",
            )
        ]
        urls += [reverse(name, args=[snapshot.pk]) for name in
                 ("mel:snapshot", "mel:snapshot_download", "mel:narrative")]  # fmt: skip
        for url in urls:
            query = urlencode({"point": "6m", "format": "json", "area": "growth"})
            assert client.get(f"{url}?{query}").status_code == 404, url
            assert client.post(url, {"point": "6m", "confirm": "on"}).status_code == 404, url
        assert Snapshot.objects.count() == 1


class TestCommand:
    def test_it_takes_a_snapshot_from_the_command_line(self, cycle, nadia, tmp_path):
        _import(tmp_path, _rows())
        out = io.StringIO()
        call_command("mel_snapshot", cycle=TERM["name"], point="midterm", by="nadia", stdout=out)
        snapshot = Snapshot.objects.get()
        assert snapshot.point == "midterm" and snapshot.created_by == nadia
        assert "Snapshot midterm" in out.getvalue()
        with pytest.raises(CommandError, match="already taken"):
            call_command("mel_snapshot", cycle=str(cycle.pk), point="midterm", by="nadia")
        with pytest.raises(CommandError, match="not an active network coordinator"):
            call_command("mel_snapshot", cycle=TERM["name"], point="end", by="alice")
        with pytest.raises(CommandError, match="No single"):
            call_command("mel_snapshot", cycle="nope", point="end", by="nadia")


def test_the_report_command_wants_a_baseline_as_long_as_the_period(tmp_path):
    with pytest.raises(CommandError, match="as long as"):
        call_command(
            "mel_report", start="2024-01", end="2024-06", baseline_start="2023-01",
            baseline_end="2023-03", disclosure="public", out=tmp_path / "x",
        )  # fmt: skip
