from django.urls import include, path

from engage.accounts import mfa_views, security_key_views, session_views, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", session_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("confirm/", views.confirm_password, name="confirm_password"),
    path("session/", session_views.session_status, name="session_status"),
    path("session/stay/", session_views.stay_signed_in, name="stay_signed_in"),
    path("session/kept-form/", session_views.kept_form, name="kept_form"),
    path("two-step/setup/", mfa_views.mfa_setup, name="mfa_setup"),
    path("two-step/verify/", mfa_views.mfa_verify, name="mfa_verify"),
    path("two-step/", mfa_views.mfa_codes, name="mfa_codes"),
    path("two-step/new-codes/", mfa_views.mfa_new_codes, name="mfa_new_codes"),
    path("two-step/keys/", include(security_key_views.urlpatterns)),
    path("users/<uuid:pk>/two-step/reset/", mfa_views.mfa_reset, name="mfa_reset"),
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<uuid:pk>/", views.user_edit, name="user_edit"),
    path("users/<uuid:pk>/deactivate/", views.user_deactivate, name="user_deactivate"),
    path("users/<uuid:pk>/reactivate/", views.user_reactivate, name="user_reactivate"),
    path("teams/", views.team_list, name="team_list"),
    path("teams/new/", views.team_form, name="team_create"),
    path("teams/<uuid:pk>/", views.team_form, name="team_edit"),
    path("organisation/", views.organisation_edit, name="organisation_edit"),
]
