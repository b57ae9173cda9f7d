from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django.views.decorators.http import require_GET

from engage.accounts.audit_views import audit_log
from engage.accounts.views import set_language
from engage.offline import views as offline_views
from engage.ops.views import csp_report
from engage.privacy.moved_urls import case_urlpatterns as moved_case_urls


@login_not_required
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Tell a load balancer the process is up; reveals nothing else."""
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("", include("engage.dashboard.urls")),
    path("accounts/", include("engage.accounts.urls")),
    # Rectification lived on the case before it joined the person's rights (issue 16).
    path("cases/", include((moved_case_urls, "privacy_moved_case"))),
    path("cases/", include("engage.cases.urls")),
    path("audit/", audit_log, name="audit_log"),
    path("sharing/", include("engage.sharing.urls")),
    # The person's requests lived under /sharing/ before they moved to /privacy/ (issue 16).
    path("sharing/", include("engage.privacy.moved_urls")),
    path("directory/", include("engage.directory.urls")),
    path("settings/fields/", include("engage.custom.urls")),
    path("network/", include("engage.network.urls")),
    path("liaison/", include("engage.liaison.urls")),
    path("privacy/", include("engage.privacy.urls")),
    path("documents/", include("engage.documents.urls")),
    path("history/", include("engage.history.urls")),
    path("mel/", include("engage.mel.urls")),
    path("imports/", include("engage.imports.urls")),
    path("api/v1/", include("engage.api.urls")),
    path("accounts/tokens/", include("engage.api.token_urls")),
    path("mel/submission-tokens/", include("engage.api.submission_token_urls")),
    path("agenda/", include("engage.agenda.urls")),
    path("offline/", include("engage.offline.urls")),
    # At the root, so the service worker's scope covers the whole app (docs/offline.md).
    path("sw.js", offline_views.service_worker, name="service_worker"),
    path("manifest.webmanifest", offline_views.manifest, name="manifest"),
    # Switching language works before login too (on the sign-in page).
    path("i18n/setlang/", set_language, name="set_language"),
    path("health/", health, name="health"),
    path("csp-report/", csp_report, name="csp_report"),
]
