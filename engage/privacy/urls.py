from django.urls import path

from engage.privacy import views

app_name = "privacy"

urlpatterns = [
    path("cases/<uuid:pk>/", views.case_requests, name="case"),
    path("cases/<uuid:pk>/rectify/", views.rectify, name="rectify"),
    path("cases/<uuid:pk>/requests/new/", views.request_new, name="request_new"),
    path("subject-requests/<uuid:pk>/export/<str:fmt>/", views.export, name="export"),
    path("subject-requests/<uuid:pk>/erase/", views.erase, name="erase"),
]
