"""deploy/'s nginx configuration, run for real in front of a live gunicorn: TLS, gzip, public
GETs kept as long as the app's Cache-Control says and revalidated by its ETag, personal ones
never kept, forwarded headers the app believes.

The file is used as shipped, with only what differs on a test machine rewritten: the host
name, the ports, the certificate (a throwaway self-signed one) and the folders nginx writes.
"""

from __future__ import annotations

import datetime as dt
import gzip
import http.client
import os
import pwd
import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy.engine import Engine

from seeds.load import LoadReport
from tests.conftest import copy_of
from tests.live.conftest import Live, free_port, live_server

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "deploy" / "nginx" / "registry.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
MAX_AGE = 2  # seconds a public answer may be kept (60 in production): short, to see it revalidated


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def site(folder: Path, app_port: int, https_port: int, http_port: int) -> Path:
    cert, key = self_signed(folder)
    text = SHIPPED.read_text()
    for shipped, here in (
            ("/etc/letsencrypt/live/registry.example.org/fullchain.pem", str(cert)),
            ("/etc/letsencrypt/live/registry.example.org/privkey.pem", str(key)),
            ("/var/cache/nginx/registry", str(folder / "cache")),
            ("/var/log/nginx/registry.access.log", str(folder / "access.log")),
            ("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};"),
            ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
            ("listen [::]:443 ssl http2;", ""), ("listen [::]:80;", ""),
            ("listen 80;", f"listen 127.0.0.1:{http_port};"),
            ("registry.example.org", "127.0.0.1")):
        assert shipped in text, shipped
        text = text.replace(shipped, here)
    main = folder / "nginx.conf"
    # Run as root (CI), nginx's workers would drop to a user who cannot write the test's folders.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
    main.write_text(f"""
{user}
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 64; }}
http {{
    client_body_temp_path {folder}/body; proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi; uwsgi_temp_path {folder}/uwsgi; scgi_temp_path {folder}/scgi;
    access_log off;
    include {folder}/registry.conf;
}}
""")
    (folder / "registry.conf").write_text(text)
    return main


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory, seeds_database: tuple[Engine, LoadReport]
            ) -> Iterator[tuple[Live, int]]:
    folder = tmp_path_factory.mktemp("deploy")
    with copy_of(seeds_database[0], folder) as url, \
            live_server(url, folder / "gunicorn.log", REGISTRY_PROXY_HOPS="1",
                        REGISTRY_PUBLIC_MAX_AGE=str(MAX_AGE)) as live:
        port, plain = free_port(), free_port()
        config = site(folder, int(live.base_url.rsplit(":", 1)[1]), port, plain)
        checked = subprocess.run([NGINX, "-t", "-c", str(config)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        nginx = subprocess.Popen([NGINX, "-c", str(config)], stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                if get(port, "/api/v1/health")[0] == 200:
                    break
                time.sleep(0.1)
            yield live, port
        finally:
            nginx.terminate()
            nginx.wait(timeout=10)


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # the throwaway certificate
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        answer = connection.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    except OSError:
        return 0, {}, b""
    finally:
        connection.close()


def test_public_gets_are_compressed_kept_and_revalidated(proxied):
    live, port = proxied
    path = "/api/v1/organisations?page_size=100"
    first = get(port, path, {"Accept-Encoding": "gzip"})
    assert first[0] == 200 and first[1]["content-encoding"] == "gzip"
    assert gzip.decompress(first[2]).startswith(b"{")
    assert first[1]["strict-transport-security"].startswith("max-age=")
    assert first[1]["cache-control"] == f"public, max-age={MAX_AGE}" and first[1]["etag"]
    again = get(port, path, {"Accept-Encoding": "gzip"})
    assert again[1]["x-cache"] == "HIT"
    time.sleep(MAX_AGE + 1.5)  # nginx counts whole seconds: a copy stays fresh into the second after max-age
    later = get(port, path, {"Accept-Encoding": "gzip"})  # asked again with the ETag: the app says 304
    assert later[0] == 200 and later[1]["x-cache"] == "REVALIDATED" and later[2] == first[2]
    status, headers, _ = get(port, path, {"If-None-Match": first[1]["etag"]})
    assert status == 304 and headers["x-cache"] == "HIT"  # a browser's own copy, confirmed by the proxy


def test_a_request_with_a_cookie_is_never_served_from_the_cache(proxied):
    live, port = proxied
    path = "/api/v1/organisations?page_size=7"
    get(port, path)
    assert get(port, path)[1]["x-cache"] == "HIT"
    status, headers, _ = get(port, path, {"Cookie": "registry_locale=vi"})
    assert status == 200 and headers["x-cache"] == "BYPASS"


def test_personal_answers_are_never_kept(proxied):
    live, port = proxied
    for _ in range(2):
        status, headers, _ = get(port, "/api/v1/me", live.tokens["secretariat"])
        assert status == 200 and headers["x-cache"] == "BYPASS" and headers["cache-control"] == "private, no-store"


def test_the_app_sees_https_and_the_proxy_s_request_id(proxied):
    live, port = proxied
    status, headers, _ = get(port, "/api/v1/me")
    assert status == 200
    assert len(headers["x-request-id"]) == 32  # nginx's $request_id, kept by the app behind one proxy
    log = live.log.read_text()
    assert headers["x-request-id"] in log
