from django.urls import path

from engage.documents import views

app_name = "documents"

urlpatterns = [
    path("cases/<uuid:pk>/", views.documents, name="list"),
    path("<uuid:pk>/download/", views.download, name="download"),
    path("<uuid:pk>/delete/", views.delete, name="delete"),
]
