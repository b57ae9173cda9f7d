from django.urls import path

from engage.api import submission_token_views

app_name = "submission_tokens"

urlpatterns = [
    path("", submission_token_views.token_list, name="list"),
    path("new/", submission_token_views.token_create, name="create"),
    path("<uuid:pk>/revoke/", submission_token_views.token_revoke, name="revoke"),
]
