"""How a request's user is read from its session."""

from typing import Any

from django.contrib.auth.backends import ModelBackend

from engage.accounts.models import User


class UserBackend(ModelBackend):
    """Django's model backend, reading a signed-in user with their organisation in one query.

    Nearly every page reads `request.user.organisation` (the scope of every query of personal
    data starts from it), so the join saves a query on each request (issue 17's page budgets).
    Passwords are checked exactly as `ModelBackend` checks them.
    """

    def get_user(self, user_id: Any) -> User | None:
        try:
            user = User._default_manager.select_related("organisation").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
