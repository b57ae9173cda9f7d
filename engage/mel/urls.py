from django.urls import path

from engage.mel import views

app_name = "mel"

urlpatterns = [
    path("network/", views.network_dashboard, name="network"),
    path("pilot/", views.pilot_dashboard, name="pilot"),
    path("report/", views.report, name="report"),
    path("export/", views.export, name="export"),
    path("import/", views.import_submission, name="import"),
    path("submissions/", views.submissions, name="submissions"),
]
