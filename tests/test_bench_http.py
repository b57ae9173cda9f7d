"""The benchmark over HTTP (bench/http.py): what it can get wrong without anyone noticing
between the runs a developer makes by hand. A session the server does not take would measure
the redirect to the sign-in; a misread report, the wrong figure."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from bench.http import parse_wrk, signed_in_session

# A report of wrk 4.1.0 (Debian's) with `--latency`, of a server answering 404 to everything.
WRK_REPORT = """\
Running 2s test @ http://127.0.0.1:8931/nope
  1 threads and 2 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.99ms    2.32ms  25.70ms   91.20%
    Req/Sec   705.10     98.75     0.99k    80.00%
  Latency Distribution
     50%    2.51ms
     75%    3.26ms
     90%    4.81ms
     99%    1.37s
  1422 requests in 2.03s, 722.11KB read
  Non-2xx or 3xx responses: 1422
Requests/sec:    701.51
Transfer/sec:    356.23KB
"""


def test_it_reads_the_rate_the_latencies_and_the_errors_of_a_wrk_report():
    found = parse_wrk(WRK_REPORT)

    assert found.requests_per_second == 701.51
    assert found.latency_ms == {"50%": 2.51, "75%": 3.26, "90%": 4.81, "99%": 1370.0}
    assert found.errors == "Non-2xx or 3xx responses: 1422"
    assert parse_wrk(WRK_REPORT.replace("  Non-2xx or 3xx responses: 1422\n", "")).errors == ""
    with pytest.raises(ValueError, match="not a wrk report"):
        parse_wrk("unable to connect to 127.0.0.1:8931 Connection refused")


@pytest.mark.django_db
def test_its_sessions_have_passed_both_steps_of_the_sign_in(client, settings, alice, bob):
    """A case manager (an authenticator) and a supervisor (a security key) reach their home
    page with the session the bench writes; without the second step's device they do not."""
    settings.ENGAGE_MFA_REQUIRED = True
    for user in (alice, bob):
        client.cookies[settings.SESSION_COOKIE_NAME] = signed_in_session(user.username)
        assert client.get("/").status_code == 200, user.role
        # Made once: a second session names the same device.
        signed_in_session(user.username)

    assert TOTPDevice.objects.filter(user=alice).count() == 1
    assert WebAuthnCredential.objects.filter(user=bob).count() == 1
    client.cookies[settings.SESSION_COOKIE_NAME] = signed_in_session(bob.username)
    WebAuthnCredential.objects.filter(user=bob).delete()
    assert client.get("/").status_code == 302
