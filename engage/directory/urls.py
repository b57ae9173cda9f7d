from django.urls import path

from engage.directory import views

app_name = "directory"

urlpatterns = [
    path("", views.service_list, name="list"),
    path("new/", views.service_new, name="service_new"),
    path("statistics/", views.referral_statistics, name="statistics"),
    path("services/<uuid:pk>/", views.service_detail, name="service"),
    path("services/<uuid:pk>/edit/", views.service_edit, name="service_edit"),
    path("services/<uuid:pk>/contacts/new/", views.contact_new, name="contact_new"),
    path("contacts/<uuid:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("contacts/<uuid:pk>/remove/", views.contact_remove, name="contact_remove"),
    path("cases/<uuid:pk>/refer/", views.referral_new, name="referral_new"),
    path("referrals/<uuid:pk>/", views.referral_detail, name="referral"),
]
