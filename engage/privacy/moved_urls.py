"""The addresses of the person's requests under /sharing/, and of rectification under /cases/,
before they moved to /privacy/."""

from django.urls import path

from engage.privacy import views

app_name = "privacy_moved"

urlpatterns = [
    path("cases/<uuid:pk>/requests/new/", views.moved_request_new, name="request_new"),
    path("subject-requests/<uuid:pk>/export/<str:fmt>/", views.moved_export, name="export"),
]

# Included under /cases/ with the namespace "privacy_moved_case".
case_urlpatterns = [
    path("<uuid:pk>/identity/", views.moved_rectify, name="identity"),
]
