from django.urls import path, re_path

from engage.api import docs, submissions, views

app_name = "api"

urlpatterns = [
    path("schema/", docs.SchemaView.as_view(), name="schema"),
    path("docs/", docs.DocsView.as_view(), name="docs"),
    path("me/", views.MeView.as_view(), name="me"),
    path("organisation/", views.OrganisationView.as_view(), name="organisation"),
    path("cities/", views.CityListView.as_view(), name="cities"),
    path("teams/", views.TeamListView.as_view(), name="teams"),
    path("users/", views.UserListView.as_view(), name="users"),
    path("cases/", views.CaseListView.as_view(), name="cases"),
    path("cases/<uuid:pk>/", views.CaseView.as_view(), name="case"),
    path("cases/<uuid:pk>/contacts/", views.CaseContactsView.as_view(), name="case_contacts"),
    path(
        "cases/<uuid:pk>/assessments/",
        views.CaseAssessmentsView.as_view(),
        name="case_assessments",
    ),
    path("cases/<uuid:pk>/plans/", views.CasePlansView.as_view(), name="case_plans"),
    path("cases/<uuid:pk>/closures/", views.CaseClosuresView.as_view(), name="case_closures"),
    path(
        "cases/<uuid:pk>/referrals/", views.CaseReferralsView.as_view(), name="case_referrals"
    ),
    path("referrals/<uuid:pk>/", views.ReferralView.as_view(), name="referral"),
    path("clients/<uuid:pk>/", views.ClientView.as_view(), name="client"),
    path("contacts/<uuid:pk>/", views.ContactView.as_view(), name="contact"),
    path("assessments/<uuid:pk>/", views.AssessmentView.as_view(), name="assessment"),
    path("closures/<uuid:pk>/", views.ClosureView.as_view(), name="closure"),
    path("closures/<uuid:pk>/review/", views.ClosureReviewView.as_view(), name="closure_review"),
    path("plans/<uuid:pk>/", views.PlanView.as_view(), name="plan"),
    path("plans/<uuid:pk>/goals/", views.PlanGoalsView.as_view(), name="plan_goals"),
    path("plans/<uuid:pk>/submit/", views.PlanSubmitView.as_view(), name="plan_submit"),
    path("plans/<uuid:pk>/review/", views.PlanReviewView.as_view(), name="plan_review"),
    path("goals/<uuid:pk>/actions/", views.GoalActionsView.as_view(), name="goal_actions"),
    path("actions/<uuid:pk>/", views.ActionView.as_view(), name="action"),
    # A pilot's network submission, sent to the hub with a submission token (docs/evidence.md).
    path("submissions/", submissions.SubmissionUploadView.as_view(), name="submissions"),
    # Last: any other address under /api/v1/ is answered in JSON too, never with a page.
    re_path(r"^.*$", views.NotFoundView.as_view(), name="not_found"),
]
