"""Engage's whole URLconf under another path, for tests/accounts/test_navigation.py."""

from django.urls import include, path

urlpatterns = [path("elsewhere/", include("engage.urls"))]
