"""Two-step verification: a TOTP authenticator app (django-otp), and recovery codes.

django-otp keeps the TOTP devices, checks tokens with a time-step drift of one, refuses a
token already used (`last_t`) and throttles repeated failures. What it does not do the way we
need is keep secrets: its static tokens are stored in plaintext, so our recovery codes are kept
as password hashes (`RecoveryCode`), each usable once; and so is an app's secret, so ours is
kept encrypted apart (`AppSecret`, read through `AppDevice`).
"""

import base64
import secrets
from io import BytesIO

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key
from django_otp_webauthn.models import WebAuthnCredential

from engage.accounts.models import AppDevice, AppSecret, RecoveryCode, User
from engage.audit.models import AuditEvent
from engage.audit.services import record

RECOVERY_CODES = 10
_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def required() -> bool:
    return settings.ENGAGE_MFA_REQUIRED


def confirmed_device(user: User) -> AppDevice | None:
    device: AppDevice | None = AppDevice.objects.filter(user=user, confirmed=True).first()
    return device


def pending_device(user: User) -> AppDevice:
    """The unconfirmed device being set up (a new secret each time setup starts afresh)."""
    device: AppDevice | None = AppDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        with transaction.atomic():
            # The row's own key is django-otp's random default, which makes no valid code; the
            # secret is another, written only encrypted.
            device = AppDevice.objects.create(
                user=user, name="Authenticator app", confirmed=False
            )
            AppSecret.objects.create(device=device, key=default_key())
    return device


def secret_base32(device: AppDevice) -> str:
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def qr_svg(device: AppDevice) -> str:
    """The provisioning URI as an inline SVG QR code (no image request leaves the page)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    buffer = BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    return svg[svg.index("<svg") :]


@transaction.atomic
def verify_token(device: AppDevice, token: str) -> bool:
    """Check a token with django-otp's throttling and replay protection.

    On the device's row locked and read again: django-otp refuses a code whose time step is not
    after the last one used, and waits longer after each failure, but it reads both from the
    row it was given and saves it whole. Two sign-ins sending one code at one instant (read
    over a shoulder, relayed by a phishing page) were both let in, and guesses sent together
    all passed the throttle and counted as one failure (docs/security.md).
    """
    token = "".join(token.split())
    locked: AppDevice | None = AppDevice.objects.select_for_update().filter(pk=device.pk).first()
    if locked is None:  # removed meanwhile (a reset)
        return False
    allowed, _details = locked.verify_is_allowed()
    return bool(allowed) and bool(locked.verify_token(token))


@transaction.atomic
def confirm_setup(request: HttpRequest, device: AppDevice, token: str) -> list[str] | None:
    """Confirm the device if `token` is right; return the new recovery codes, else None."""
    if not verify_token(device, token):
        return None
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    otp_login(request, device)
    record(device.user, AuditEvent.Action.PERMISSION_CHANGE, device.user, detail="mfa_enrolled")
    return new_recovery_codes(device.user)


@transaction.atomic
def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes; return them in clear, to show once."""
    codes = [
        "-".join("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(2))
        for _ in range(RECOVERY_CODES)
    ]
    hashed = [make_password(_normalise(code)) for code in codes]  # seconds: before any lock
    # The person's row, locked: of two "new codes" at once, the second waits and replaces the
    # first's, where both sets stayed valid (twenty codes, one set never shown again).
    User.objects.select_for_update().only("pk").get(pk=user.pk)
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(RecoveryCode(user=user, code_hash=h) for h in hashed)
    return codes


def _normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()


@transaction.atomic
def use_recovery_code(user: User, code: str) -> bool:
    code = _normalise(code)
    for candidate in RecoveryCode.objects.select_for_update().filter(user=user, used_at=None):
        if check_password(code, candidate.code_hash):
            candidate.used_at = timezone.now()
            candidate.save(update_fields=["used_at"])
            return True
    return False


@transaction.atomic
def reset(user: User, *, by: User) -> None:
    """Remove the user's second factor: they set up a new one at their next sign-in.

    Their sessions end too. A reset follows a lost phone or laptop, and a session left open on
    it would otherwise, its second step gone, be sent to set up a new one, and would set up
    the finder's (docs/security.md, item 51): now the next sign-in asks for the password first.
    """
    from engage.accounts.services import end_sessions

    TOTPDevice.objects.filter(user=user).delete()
    WebAuthnCredential.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    end_sessions(user, by=by)
    record(by, AuditEvent.Action.PERMISSION_CHANGE, user, detail="mfa_reset", high_severity=True)
