"""Messages that must point to the right fix (``bentoclient._messages``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bentoclient._messages import install_command, plain_http_url, tls_failure_kind, tls_failure_message

URL = "https://127.0.0.1:3000"


@pytest.mark.parametrize(
    "reason",
    [
        "[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)",  # OpenSSL 3.0 vs uvicorn's 400
        "WRONG_VERSION_NUMBER",  # ssl.SSLError.reason alone
        "[SSL: RECORD_LAYER_FAILURE] record layer failure (_ssl.c:1028)",  # OpenSSL 3.2+
        "[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol (_ssl.c:1006)",
        "EOF occurred in violation of protocol (_ssl.c:1131)",  # older Python/OpenSSL
        "[SSL: PACKET_LENGTH_TOO_LONG] packet length too long (_ssl.c:1123)",
        "[SSL: UNKNOWN_PROTOCOL] unknown protocol (_ssl.c:852)",
        "TLS/SSL connection has been closed (EOF) (_ssl.c:1131)",  # Python 3.9: SSLZeroReturnError
    ],
)
def test_a_server_that_does_not_speak_tls_gets_use_http(reason: str) -> None:
    message = tls_failure_message(URL, reason)
    assert tls_failure_kind(reason) == "not-tls"
    assert message.startswith(f"TLS handshake with {URL} failed: ")
    assert "the server does not speak TLS here" in message
    assert "use 'http://127.0.0.1:3000'" in message
    assert "verify=" not in message  # a CA bundle cannot fix this
    assert "_ssl.c" not in message


@pytest.mark.parametrize(
    "reason",
    [
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate (_ssl.c:1006)",
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate",
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired (_ssl.c:1006)",
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, certificate is not valid",
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: IP address mismatch",
    ],
)
def test_certificate_failures_keep_the_ca_advice(reason: str) -> None:
    message = tls_failure_message(URL, reason)
    assert tls_failure_kind(reason) == "certificate"
    assert "pass verify= a CA bundle path or an ssl.SSLContext" in message
    assert "http://" not in message


@pytest.mark.parametrize(
    "reason",
    [
        "[SSL: SSLV3_ALERT_HANDSHAKE_FAILURE] sslv3 alert handshake failure",
        "[SSL: SSLV3_ALERT_BAD_CERTIFICATE] sslv3 alert bad certificate (_ssl.c:2580)",  # the server refused us
        "[SSL: NO_PROTOCOLS_AVAILABLE]",
        "",
    ],
)
def test_other_handshake_failures_name_neither_fix(reason: str) -> None:
    message = tls_failure_message(URL, reason)
    assert tls_failure_kind(reason) == "other"
    assert "does not speak TLS" not in message
    assert "CA bundle" not in message
    assert message.startswith(f"TLS handshake with {URL} failed: ")


@pytest.mark.parametrize(
    ("url", "plain"),
    [
        ("https://127.0.0.1:3000", "http://127.0.0.1:3000"),
        ("https://svc.example:8443/v1", "http://svc.example:8443/v1"),
        ("https://svc.example", "http://svc.example:443"),  # the same port, not 80
        ("https://svc.example/v1/", "http://svc.example:443/v1/"),
        ("https://[::1]:3000", "http://[::1]:3000"),
        ("https://[::1]", "http://[::1]:443"),
        ("HTTPS://h:1", "http://h:1"),
        ("http://already:80", "http://already:80"),
    ],
)
def test_plain_http_url_keeps_host_port_and_path(url: str, plain: str) -> None:
    assert plain_http_url(url) == plain


# --- install commands in MissingDependencyError messages ---------------------------------------


def test_install_command_from_a_checkout_is_the_sibling_folder(tmp_path: Path) -> None:
    module = tmp_path / "repo" / "packages" / "core" / "src" / "bentoclient" / "_messages.py"
    module.parent.mkdir(parents=True)
    for name in ("core", "async", "stream"):
        (tmp_path / "repo" / "packages" / name).mkdir(exist_ok=True)
        (tmp_path / "repo" / "packages" / name / "pyproject.toml").write_text("")
    sibling = tmp_path / "repo" / "packages" / "async"
    assert install_command("async", here=str(module)) == f'pip install "{sibling}"'
    assert install_command("async", upgrade=True, here=str(module)) == f'pip install -U "{sibling}"'


def test_install_command_elsewhere_is_the_extra_and_the_wheel_folder_form(tmp_path: Path) -> None:
    installed = tmp_path / "site-packages" / "bentoclient" / "_messages.py"  # or a vendored copy
    command = install_command("stream", here=str(installed))
    assert command.startswith('pip install "bentoclient[stream]" (until bentoclient is on PyPI: ')
    assert 'pip install --find-links DIR "bentoclient[stream]"' in command
    assert "nox -s build" in command
