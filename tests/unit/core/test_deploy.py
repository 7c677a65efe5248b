"""The deployment files agree with each other and with the code (Docker itself cannot run here)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from connectors.email.config import load_email_config
from contact_center.app import create_app
from contact_center.demo.config import render_demo_config
from contact_center.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
DATA_DIR = "/var/lib/contact-center"
APPS = ("app1", "app2")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    yaml = pytest.importorskip("yaml", reason="PyYAML is needed to read docker-compose.yml")
    doc: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return doc


@pytest.fixture(scope="module")
def nginx() -> str:
    return (ROOT / "deploy" / "nginx.conf").read_text()


def test_compose_has_the_scale_out_services(compose: dict[str, Any]) -> None:
    """Two app instances of one image running `serve`, nginx, PostgreSQL 15, Redis 7 and Dovecot."""
    services = compose["services"]
    assert {"app1", "app2", "nginx", "postgres", "redis", "dovecot"} <= set(services)
    assert services["postgres"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:7")
    first, second = (services[name] for name in APPS)
    assert first["image"] == second["image"]
    assert first["build"] == second["build"] == "."
    assert first["command"] == second["command"] == ["contact-center", "serve"]


def test_apps_use_postgres_and_redis(compose: dict[str, Any]) -> None:
    """Both instances point CC_DATABASE_URL at the postgres service and CC_REDIS_URL at redis."""
    services = compose["services"]
    pg = services["postgres"]["environment"]
    for name in APPS:
        env = services[name]["environment"]
        assert re.fullmatch(rf"postgresql\+asyncpg://{pg['POSTGRES_USER']}:\S+@postgres:5432/{pg['POSTGRES_DB']}",
                            env["CC_DATABASE_URL"])
        assert env["CC_REDIS_URL"] == "redis://redis:6379/0"
        assert env["CC_HOST"] == "0.0.0.0"
        assert {"postgres", "redis"} <= set(services[name]["depends_on"])
    assert services["app2"]["environment"]["CC_EMAIL__INGEST"] == "false"
    assert "CC_EMAIL__INGEST" not in services["app1"]["environment"]


def test_every_long_running_service_has_a_healthcheck(compose: dict[str, Any]) -> None:
    """Health-gated start: every service has a healthcheck and nginx waits for healthy apps."""
    for name, service in compose["services"].items():
        if "demo" in service.get("profiles", ()):
            continue
        assert service["healthcheck"]["test"], name
    assert compose["services"]["nginx"]["depends_on"] == {name: {"condition": "service_healthy"} for name in APPS}


def test_trusted_proxy_is_nginx(compose: dict[str, Any]) -> None:
    """The apps trust X-Forwarded-For only from nginx's fixed address, which is inside the subnet."""
    services = compose["services"]
    nginx_ip = services["nginx"]["networks"]["backend"]["ipv4_address"]
    subnet = compose["networks"]["backend"]["ipam"]["config"][0]["subnet"]
    assert nginx_ip.rsplit(".", 1)[0] == subnet.split("/")[0].rsplit(".", 1)[0]
    for name in APPS:
        assert services[name]["environment"]["CC_SERVER__TRUSTED_PROXIES"] == nginx_ip


def test_mounted_files_exist(compose: dict[str, Any]) -> None:
    """Every ./path the compose file mounts or builds from is in the repository."""
    for service in compose["services"].values():
        for volume in service.get("volumes", ()):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).is_file(), source
        build = service.get("build")
        if isinstance(build, dict):
            assert (ROOT / build["context"] / build["dockerfile"]).is_file()
    assert (ROOT / "Dockerfile").is_file()


def test_nginx_balances_both_apps_and_upgrades_websockets(nginx: str) -> None:
    """nginx round-robins app1/app2 and passes the websocket upgrade on /ws/ and /chat/ws."""
    upstream = re.search(r"upstream contact_center \{(.*?)\}", nginx, re.S)
    assert upstream is not None
    assert re.findall(r"server (\S+?):8080", upstream.group(1)) == list(APPS)
    for location in (r"location /ws/ \{", r"location = /chat/ws \{"):
        block = re.search(location + r"(.*?)\}", nginx, re.S)
        assert block is not None, location
        assert "proxy_set_header Upgrade $http_upgrade;" in block.group(1)
        assert "proxy_set_header Connection $connection_upgrade;" in block.group(1)
        assert "proxy_set_header X-Forwarded-For $remote_addr;" in block.group(1)
        assert "proxy_read_timeout 1h;" in block.group(1)
    limit = re.search(r"client_max_body_size (\d+)m;", nginx)
    assert limit is not None
    assert int(limit.group(1)) * 1024 * 1024 > Settings.load(environ={}).max_body_bytes


def test_websocket_routes_are_the_ones_nginx_upgrades() -> None:
    """Each websocket path the installed plugins serve is covered by an nginx upgrade location."""
    app = create_app(Settings.load(environ={}), migrate=False)
    paths = {info.get("path") for info in (r.resource.get_info() for r in app.router.routes() if r.resource)}
    websockets = {p for p in paths if p and re.search(r"(^|/)ws(/|$)", p)}
    assert {"/ws/agent", "/ws/supervisor", "/chat/ws"} <= websockets
    for ws_path in websockets:
        assert ws_path.startswith("/ws/") or ws_path == "/chat/ws", f"nginx does not upgrade {ws_path}"


def test_deploy_config_loads_and_matches_the_demo() -> None:
    """deploy/contact-center.toml is valid, reads the Dovecot mailbox, and its sources equal the demo's."""
    path = ROOT / "deploy" / "contact-center.toml"
    settings = Settings.load(path, environ={"CC_DATA_DIR": DATA_DIR})
    email = load_email_config(settings.section("email"))
    (box,) = email.mailboxes
    users = dict(line.split(":{PLAIN}")[0:2] for line in (ROOT / "deploy" / "dovecot-users").read_text().split())
    assert (box.host, box.port, box.security) == ("dovecot", 143, "none")
    assert users[box.user].split(":")[0] == box.password.reveal()
    demo = tomllib.loads(render_demo_config(Path(DATA_DIR), token="t", host="0.0.0.0", port=8080))
    deploy = tomllib.loads(path.read_text())
    assert deploy["sources"] == demo["sources"]
    assert deploy["screenpop"] == demo["screenpop"]


def test_dockerfile_builds_the_four_packages_and_serves() -> None:
    """The image installs every top-level package and runs `contact-center serve` on port 8080."""
    text = (ROOT / "Dockerfile").read_text()
    for package in ("contact_center", "connectors", "routing", "agent_ui"):
        assert f"COPY {package} ./{package}" in text
    assert 'CMD ["contact-center", "serve"]' in text
    assert "CC_PORT=8080" in text
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert not {"pyproject.toml", "README.md", "contact_center", "connectors"} & set(ignored)
