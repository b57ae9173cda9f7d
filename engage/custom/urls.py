from django.urls import path

from engage.custom import views

app_name = "custom"

urlpatterns = [
    path("", views.field_list, name="list"),
    path("forms/<str:form>/new/", views.field_add, name="add"),
    path("forms/<str:form>/preview/", views.form_preview, name="preview"),
    path("<uuid:pk>/", views.field_edit, name="edit"),
    path("<uuid:pk>/change/", views.field_action, name="action"),
    path("<uuid:pk>/options/", views.option_action, name="options"),
    path("configuration/export/", views.config_export, name="export"),
    path("configuration/import/", views.config_import, name="import"),
    path("figures/", views.figures, name="figures"),
]
