from django.urls import path

from engage.cases import views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.referral_create, name="create"),
    path("approvals/", views.approvals, name="approvals"),
    path("eligibility/", views.eligibility_criteria, name="eligibility"),
    path("<uuid:pk>/", views.case_detail, name="detail"),
    path("<uuid:pk>/identity/", views.identity_edit, name="identity"),
    path("<uuid:pk>/first-meeting/", views.first_meeting, name="first_meeting"),
    path("<uuid:pk>/screening/", views.screening, name="screening"),
    path("<uuid:pk>/inclusion/", views.inclusion, name="inclusion"),
    path("<uuid:pk>/assessments/new/", views.assessment_create, name="assessment_create"),
    path("<uuid:pk>/assessments/request/", views.reassessment_request, name="reassessment"),
    path("<uuid:pk>/plans/new/", views.plan_create, name="plan_create"),
    path("<uuid:pk>/contacts/new/", views.contact_create, name="contact_create"),
    path("<uuid:pk>/outcome/", views.outcome, name="outcome"),
    path("<uuid:pk>/close/", views.closure_request, name="closure"),
    path("<uuid:pk>/reopen/", views.reopen, name="reopen"),
    path("<uuid:pk>/reassign/", views.reassign, name="reassign"),
    path("decisions/<uuid:pk>/", views.inclusion_review, name="inclusion_review"),
    path("closures/<uuid:pk>/", views.closure_review, name="closure_review"),
    path("plans/<uuid:pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<uuid:pk>/goals/", views.goal_create, name="goal_create"),
    path("plans/<uuid:pk>/submit/", views.plan_submit, name="plan_submit"),
    path("plans/<uuid:pk>/approval/", views.plan_approval, name="plan_approval"),
    path("plans/<uuid:pk>/reviews/", views.plan_review, name="plan_review"),
    path("goals/<uuid:pk>/actions/", views.action_create, name="action_create"),
    path("actions/<uuid:pk>/status/", views.action_status, name="action_status"),
]
