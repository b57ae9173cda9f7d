from django.urls import path

from engage.offline import views

app_name = "offline"

urlpatterns = [
    path("", views.shell, name="shell"),
    path("status/", views.status, name="status"),
    path("key/", views.key, name="key"),
    path("bundle/", views.bundle, name="bundle"),
    path("sync/", views.sync, name="sync"),
    path("cases/<uuid:pk>/take/", views.take, name="take"),
    path("cases/<uuid:pk>/release/", views.release, name="release"),
]
