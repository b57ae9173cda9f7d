from django.urls import path

from engage.privacy import views

app_name = "privacy"

urlpatterns = [
    path("subject-requests/<uuid:pk>/erase/", views.erase, name="erase"),
]
