from django.urls import path

from engage.agenda import views

app_name = "agenda"

urlpatterns = [
    path("", views.week, name="week"),
    path("calendar/", views.calendar_page, name="calendar"),
    path("calendar/new/", views.calendar_create, name="calendar_create"),
    path("calendar/revoke/", views.calendar_revoke, name="calendar_revoke"),
    # The feed itself, read by a calendar app without a session: the key is in the query
    # string, which the access logs never keep (engage/ops/logs.py).
    path("feed.ics", views.feed, name="feed"),
]
