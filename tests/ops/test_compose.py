"""docker-compose.yml, read as docker compose reads it, checked without Docker.

Every service names its image, has a health check (or says why not), mounts only
volumes it declares and files the repository has, and every ${VAR} the file uses is
documented in .env.example. gunicorn is published to no host port: only the proxy
is, and nginx accepts the proxy's configuration (`nginx -t`, when nginx is here).
"""

import re
import shutil
import subprocess

import yaml

from tests.ops.conftest import ROOT
from tests.ops.test_env_example import documented
from tests.tools import NGINX_MISSING, missing_tool

COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text()
COMPOSE = yaml.safe_load(COMPOSE_TEXT)
SERVICES = COMPOSE["services"]
APP_SERVICES = ("migrate", "web", "worker")
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)")


def test_the_stack_has_its_services_each_with_an_image():
    assert set(SERVICES) == {"db", "redis", "migrate", "web", "worker", "proxy"}
    for name, service in SERVICES.items():
        assert service.get("image"), f"{name} names no image"
        assert service.get("restart"), f"{name} has no restart policy"
    # One image for the app, built from this repository.
    assert {SERVICES[name]["image"] for name in APP_SERVICES} == {"colloquy:latest"}
    assert all(SERVICES[name]["build"] == "." for name in APP_SERVICES)


def test_every_service_has_a_health_check_or_a_reason():
    for name, service in SERVICES.items():
        check = service.get("healthcheck")
        assert check, f"{name} has no healthcheck"
        if check.get("disable"):
            assert service.get("x-healthcheck-reason"), f"{name}: disabled, no reason"
        else:
            assert check["test"][0] in ("CMD", "CMD-SHELL"), name
            assert {"interval", "timeout", "retries"} <= set(check), name
    assert SERVICES["web"]["healthcheck"]["test"] == [
        "CMD",
        "python",
        "docker/healthcheck.py",
    ]
    assert "/readyz" in (ROOT / "docker" / "healthcheck.py").read_text()
    worker = SERVICES["worker"]["healthcheck"]["test"]
    assert worker == ["CMD", "python", "manage.py", "worker_health"]
    assert (ROOT / "ops" / "management" / "commands" / "worker_health.py").is_file()


def test_a_service_waits_only_for_what_can_say_it_is_ready():
    for name, service in SERVICES.items():
        for needed, rule in service.get("depends_on", {}).items():
            assert needed in SERVICES, f"{name} waits for a missing {needed}"
            target = SERVICES[needed]
            if rule["condition"] == "service_healthy":
                assert not target["healthcheck"].get("disable"), (name, needed)
            elif rule["condition"] == "service_completed_successfully":
                assert target["restart"] == "no", (name, needed)
    assert SERVICES["web"]["environment"]["MIGRATE_ON_START"] == "false"
    assert "migrate --noinput" in " ".join(SERVICES["migrate"]["entrypoint"])


def test_only_the_proxy_is_published():
    published = {name for name, service in SERVICES.items() if service.get("ports")}
    assert published == {"proxy"}
    assert SERVICES["web"]["expose"] == ["8000"]
    assert SERVICES["proxy"]["ports"] == ["${PROXY_PORT:-80}:80"]


def test_volumes_are_declared_and_mounted_files_exist():
    declared = set(COMPOSE["volumes"])
    used = set()
    for name, service in SERVICES.items():
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            if source.startswith("."):
                if source != "./backups":  # made by `make backup` on first use
                    assert (ROOT / source).is_file(), f"{name} mounts {source}"
            else:
                assert source in declared, f"{name} mounts undeclared {source}"
                used.add(source)
    assert used == declared
    assert "media:/data/media" in SERVICES["worker"]["volumes"]
    assert "media:/data/media" in SERVICES["web"]["volumes"]


def test_every_variable_is_documented_in_env_example():
    used = set(VARIABLE.findall(COMPOSE_TEXT))
    assert {"SECRET_KEY", "POSTGRES_PASSWORD", "PROXY_PORT", "REDIS_URL"} <= used
    assert used - documented() == set()
    for name in APP_SERVICES:
        service = SERVICES[name]
        assert service["env_file"] == ".env"
        assert (
            service["environment"]["REDIS_URL"] == "${REDIS_URL:-redis://redis:6379/0}"
        )
        assert service["environment"]["DATABASE_URL"].startswith("postgres://")
        # The container's own paths, not the example's.
        assert service["environment"]["MEDIA_ROOT"] == "/data/media"


def test_nginx_accepts_the_proxy_configuration(tmp_path):
    if not shutil.which("nginx"):
        missing_tool(NGINX_MISSING)
    site = (ROOT / "docker" / "nginx" / "colloquy.conf").read_text()
    site = site.replace(
        "/etc/nginx/colloquy/proxy.conf", str(ROOT / "docker" / "nginx" / "proxy.conf")
    )
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\n"
        f"http {{ access_log off; include {tmp_path}/site.conf; }}\n"
    )
    result = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr
