from django.urls import path

from engage.history import views

app_name = "history"

urlpatterns = [
    path("", views.organisation_changes, name="changes"),
    path("cases/<uuid:pk>/", views.case_history, name="case"),
]
