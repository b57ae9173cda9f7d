from django.urls import path

from engage.cases import views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.referral_create, name="create"),
    path("approvals/", views.approvals, name="approvals"),
    path("reassign/", views.reassign_cases, name="reassign_cases"),
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
    path("<uuid:pk>/appointments/new/", views.appointment_create, name="appointment_create"),
    path("appointments/<uuid:pk>/", views.appointment_edit, name="appointment_edit"),
    path("appointments/<uuid:pk>/status/", views.appointment_status, name="appointment_status"),
    path("<uuid:pk>/outcome/", views.outcome, name="outcome"),
    path("<uuid:pk>/close/", views.closure_request, name="closure"),
    path("<uuid:pk>/reopen/", views.reopen, name="reopen"),
    path("<uuid:pk>/reassign/", views.reassign, name="reassign"),
    path("<uuid:pk>/contact-interval/", views.contact_interval, name="contact_interval"),
    path("decisions/<uuid:pk>/", views.inclusion_review, name="inclusion_review"),
    path("closures/<uuid:pk>/", views.closure_review, name="closure_review"),
    path("closures/<uuid:pk>/keep-open/", views.closure_keep_open, name="closure_keep_open"),
    path("plans/<uuid:pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<uuid:pk>/goals/", views.goal_create, name="goal_create"),
    path("plans/<uuid:pk>/submit/", views.plan_submit, name="plan_submit"),
    path("plans/<uuid:pk>/approval/", views.plan_approval, name="plan_approval"),
    path("plans/<uuid:pk>/reviews/", views.plan_review, name="plan_review"),
    path("goals/<uuid:pk>/actions/", views.action_create, name="action_create"),
    path("actions/<uuid:pk>/status/", views.action_status, name="action_status"),
    path("goals/<uuid:pk>/edit/", views.goal_edit, name="goal_edit"),
    path("goals/<uuid:pk>/status/", views.goal_status, name="goal_status"),
    path("goals/<uuid:pk>/reopen/", views.goal_reopen, name="goal_reopen"),
    path("actions/<uuid:pk>/edit/", views.action_edit, name="action_edit"),
]
