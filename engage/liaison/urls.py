from django.urls import path

from engage.liaison import views

app_name = "liaison"

urlpatterns = [
    path("cases/<uuid:pk>/new/", views.liaison_new, name="record_new"),
    path("records/<uuid:pk>/", views.liaison_detail, name="record"),
    path("cases/<uuid:pk>/letters/new/", views.letter_new, name="letter_new"),
    path("cases/<uuid:pk>/reporting/new/", views.obligation_new, name="obligation_new"),
    path("reporting/<uuid:pk>/", views.obligation_detail, name="obligation"),
    path("reporting/<uuid:pk>/edit/", views.obligation_edit, name="obligation_edit"),
    path("reporting-days/<uuid:pk>/follow-up/", views.follow_up, name="follow_up"),
    path("templates/", views.template_list, name="templates"),
    path("templates/new/", views.template_new, name="template_new"),
    path("templates/<uuid:pk>/edit/", views.template_edit, name="template_edit"),
]
