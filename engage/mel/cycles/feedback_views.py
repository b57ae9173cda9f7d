"""The members' feedback questionnaire's pages: the network coordinator opens and closes it from
the cycle's page and reads its results there; member organisations' admins and supervisors
answer it. Views are glue around `feedback.py`.

Another role, or a questionnaire that is not theirs to see, is a 404 (`role_required`).
"""

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from engage.accounts.http import AuthenticatedHttpRequest
from engage.accounts.models import Role, User
from engage.accounts.permissions import role_required
from engage.lib.forms import error_summary, run_service
from engage.mel.cycles import feedback
from engage.mel.cycles.feedback_forms import AnswerForm, CloseForm
from engage.mel.models import EvaluationCycle, FeedbackQuestionnaire

NETWORK = Role.NETWORK_COORDINATOR


def labelled(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """Results (`feedback.results`, or as frozen in a snapshot) with each statement in the
    reader's language and the scale in order, for `_feedback_results.html`."""
    if not data:
        return None
    rows = [
        {
            **row,
            "text": feedback.question_text(row["key"]),
            "counts": [row["distribution"].get(str(n), 0) for n in feedback.SCALE],
        }
        for row in data.get("results", [])
    ]
    return {**data, "rows": rows, "scale": [feedback.SCALE_LABELS[n] for n in feedback.SCALE]}


def cycle_context(cycle: EvaluationCycle, by: User) -> dict[str, Any]:
    """The members' feedback of each point, for the cycle's page (the coordinator's)."""
    found = {q.point: q for q in cycle.questionnaires.all()}
    invited = feedback.invited().count()
    points = []
    for value, label in EvaluationCycle.Point.choices:
        questionnaire = found.get(value)
        entry: dict[str, Any] = {"point": value, "label": label, "questionnaire": questionnaire}
        if questionnaire is not None:
            entry["results"] = labelled(feedback.results(questionnaire))
            entry["comments"] = feedback.comments(questionnaire, by=by)
        points.append(entry)
    return {
        "points": points,
        "invited": invited,
        "minimum": feedback.minimum_answers(),
        "any": bool(found),
    }


def _on_cycle_page(cycle: EvaluationCycle) -> str:
    return reverse("mel:cycle", args=[cycle.pk]) + "#member-feedback"


@role_required(NETWORK)
@require_POST
def questionnaire_open(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    cycle = get_object_or_404(EvaluationCycle, pk=pk)
    point = request.POST.get("point", "")
    if point not in EvaluationCycle.Point.values:
        raise Http404
    run_service(
        request,
        None,
        lambda: feedback.open_questionnaire(cycle, point, by=request.user),
        success=_("The members' questionnaire is open: their admins and supervisors see it on "
                  "their home page."),
    )  # fmt: skip
    return redirect(_on_cycle_page(cycle))


@role_required(NETWORK)
def questionnaire_close(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    """Ask for confirmation, then close the questionnaire for good."""
    questionnaire = get_object_or_404(FeedbackQuestionnaire.objects.select_related("cycle"), pk=pk)
    cycle = questionnaire.cycle
    if not questionnaire.is_open:
        messages.info(request, _("This questionnaire is already closed."))
        return redirect(_on_cycle_page(cycle))
    form = CloseForm(request.POST if request.method == "POST" else None)
    if run_service(
        request,
        form,
        lambda: feedback.close_questionnaire(questionnaire, by=request.user),
        success=_("The members' questionnaire is closed."),
    ):
        return redirect(_on_cycle_page(cycle))
    context = {
        "questionnaire": questionnaire,
        "cycle": cycle,
        "answers": questionnaire.answers.count(),
        "invited": feedback.invited().count(),
        "minimum": feedback.minimum_answers(),
        "form": form,
        "error_summary": error_summary(form),
    }
    return render(request, "mel/cycles/feedback_close.html", context)


@role_required(*feedback.RESPONDENT_ROLES)
def questionnaire_answer(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    """The questionnaire, for a member organisation's admin or supervisor: once each."""
    questionnaire = feedback.open_for(request.user, pk)
    if questionnaire is None:
        raise Http404
    answered = feedback.has_answered(questionnaire, request.user)
    sent = request.POST if request.method == "POST" else None
    form = AnswerForm(sent, questions=questionnaire.questions)
    if (
        questionnaire.is_open
        and not answered
        and run_service(
            request,
            form,
            lambda: feedback.answer(
                questionnaire,
                by=request.user,
                ratings=form.ratings,
                comment=form.cleaned_data["comment"],
            ),
            success=_("Thank you: your answers were recorded, without your name."),
        )
    ):
        return redirect("dashboard:home")
    context = {
        "questionnaire": questionnaire,
        "answered": answered,
        "form": form,
        "error_summary": error_summary(form) if form.is_bound else [],
        "minimum": feedback.minimum_answers(),
    }
    return render(request, "mel/cycles/feedback_answer.html", context)
