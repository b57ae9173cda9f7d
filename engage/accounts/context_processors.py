from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from engage.accounts.models import Role
from engage.lib.addresses import addresses


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url: str
    active: bool


# (label, url name, roles). Later apps add their entries here, in the order they appear.
_NAVIGATION = [
    (_("Dashboard"), "dashboard:home", tuple(Role)),
    (_("Cases"), "cases:list", (Role.CASE_MANAGER, Role.SUPERVISOR, Role.ORG_ADMIN)),
    (_("My week"), "agenda:week", (Role.CASE_MANAGER, Role.SUPERVISOR)),
    (_("Approvals"), "cases:approvals", (Role.SUPERVISOR,)),
    (_("Services"), "directory:list", tuple(Role)),
    (_("Network building"), "network:stakeholders", tuple(Role)),
    (_("Users"), "accounts:user_list", (Role.ORG_ADMIN,)),
    (_("Teams"), "accounts:team_list", (Role.ORG_ADMIN,)),
    (_("Organisation"), "accounts:organisation_edit", (Role.ORG_ADMIN,)),
    (_("Eligibility"), "cases:eligibility", (Role.ORG_ADMIN,)),
    (_("Data requests"), "sharing:requests", (Role.SUPERVISOR, Role.ORG_ADMIN)),
    (_("Recipients"), "sharing:recipients", (Role.ORG_ADMIN,)),
    (_("Letter templates"), "liaison:templates", (Role.ORG_ADMIN,)),
    (_("Audit log"), "audit_log", (Role.ORG_ADMIN,)),
    (_("Import and export"), "imports:index", (Role.ORG_ADMIN,)),
    (_("Evidence"), "mel:pilot", (Role.SUPERVISOR, Role.ORG_ADMIN)),
    (_("Evidence"), "mel:network", (Role.NETWORK_COORDINATOR,)),
]


# Each role's entries, found once: a page's frame asked the signed-in user's role (through the
# request's lazy user) once for each of the entries above.
_ENTRIES = {
    role.value: [(label, name) for label, name, roles in _NAVIGATION if role in roles]
    for role in Role
}


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation": []}
    entries = _ENTRIES.get(str(user.role), [])
    urls = addresses(name for _label, name in entries)
    # The entry whose address is the longest prefix of this page is the current one.
    path = request.path
    matches = [url for url in urls if path == url or (url != "/" and path.startswith(url))]
    current = max(matches, key=len, default=None)
    return {
        "navigation": [
            NavItem(label, url, url == current)
            for (label, _name), url in zip(entries, urls, strict=True)
        ]
    }
