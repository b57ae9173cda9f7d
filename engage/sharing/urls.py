from django.urls import path

from engage.sharing import export_views, views

app_name = "sharing"

urlpatterns = [
    path("cases/<uuid:pk>/", views.case_sharing, name="case"),
    path("cases/<uuid:pk>/consents/new/", views.consent_new, name="consent_new"),
    path("cases/<uuid:pk>/share/", views.share_new, name="share_new"),
    path("cases/<uuid:pk>/share/override/", views.share_override, name="share_override"),
    path("consents/<uuid:pk>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path("shares/<uuid:pk>/download/", views.share_download, name="share_download"),
    path(
        "shares/<uuid:pk>/deletion-asked/",
        views.share_deletion_asked,
        name="share_deletion_asked",
    ),
    path("recipients/", views.recipients, name="recipients"),
    path("recipients/<uuid:pk>/toggle/", views.recipient_toggle, name="recipient_toggle"),
    path("recipients/<uuid:pk>/kind/", views.recipient_kind, name="recipient_kind"),
    path("recipients/to-confirm/", views.recipients_to_confirm, name="recipients_to_confirm"),
    path("recipients/<uuid:pk>/confirm/", views.recipient_confirm, name="recipient_confirm"),
    path("recipients/screening/", views.enforcement_bodies, name="enforcement_bodies"),
    path(
        "recipients/screening/<uuid:pk>/remove/",
        views.enforcement_body_remove,
        name="enforcement_body_remove",
    ),
    path("requests/", views.data_requests, name="requests"),
    path("requests/new/", views.data_request_new, name="request_new"),
    path("requests/<uuid:pk>/", views.data_request, name="request"),
    path("export/", export_views.own_records, name="own_export"),
]
