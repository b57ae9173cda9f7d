from django.urls import path

from engage.mel import views
from engage.mel.cycles import feedback_views
from engage.mel.cycles import views as cycle_views

app_name = "mel"

urlpatterns = [
    path("network/", views.network_dashboard, name="network"),
    path("pilot/", views.pilot_dashboard, name="pilot"),
    path("report/", views.report, name="report"),
    path("report/<uuid:pk>/", views.report_run, name="report_run"),
    path("report/<uuid:pk>/<str:fmt>/", views.report_download, name="report_download"),
    path("export/", views.export, name="export"),
    path("linkage/", views.linkage, name="linkage"),
    path("linkage/<uuid:pk>/close/", views.linkage_close, name="linkage_close"),
    path("import/", views.import_submission, name="import"),
    path("submissions/", views.submissions, name="submissions"),
]

# Evaluation cycles (engage/mel/cycle_views.py).
urlpatterns += [
    path("cycles/", cycle_views.cycle_list, name="cycles"),
    path("cycles/new/", cycle_views.cycle_new, name="cycle_new"),
    path("cycles/<uuid:pk>/", cycle_views.cycle_detail, name="cycle"),
    path("cycles/<uuid:pk>/delete/", cycle_views.cycle_delete, name="cycle_delete"),
    path("cycles/<uuid:pk>/snapshot/", cycle_views.snapshot_take, name="snapshot_take"),
    path(
        "cycles/<uuid:pk>/comparison/",
        cycle_views.comparison_download,
        name="comparison_download",
    ),
    path("snapshots/<uuid:pk>/", cycle_views.snapshot_detail, name="snapshot"),
    path("snapshots/<uuid:pk>/download/", cycle_views.snapshot_download, name="snapshot_download"),
    path("snapshots/<uuid:pk>/narrative/", cycle_views.narrative_edit, name="narrative"),
]

# The members' feedback questionnaire of a cycle's point (engage/mel/cycles/feedback_views.py).
urlpatterns += [
    path(
        "cycles/<uuid:pk>/questionnaire/",
        feedback_views.questionnaire_open,
        name="questionnaire_open",
    ),
    path(
        "questionnaires/<uuid:pk>/close/",
        feedback_views.questionnaire_close,
        name="questionnaire_close",
    ),
    path("questionnaires/<uuid:pk>/", feedback_views.questionnaire_answer, name="questionnaire"),
]
