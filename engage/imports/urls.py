from django.urls import path

from engage.imports import views

app_name = "imports"

urlpatterns = [
    path("", views.index, name="index"),
    path("<uuid:pk>/", views.job, name="job"),
    path("<uuid:pk>/mapping/", views.mapping, name="mapping"),
    path("<uuid:pk>/values/", views.values, name="values"),
    path("<uuid:pk>/duplicates/", views.duplicates, name="duplicates"),
    path("<uuid:pk>/commit/", views.commit, name="commit"),
    path("<uuid:pk>/discard/", views.discard, name="discard"),
    path("mappings/<uuid:pk>/delete/", views.mapping_delete, name="mapping_delete"),
]
