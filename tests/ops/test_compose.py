"""The production stack (compose/) runs what the tests test.

No Docker engine is needed: the compose file is parsed, each service's command is resolved to the
real entry point (the WSGI module, the Celery app and its tasks, the management commands), the
configuration file covers every setting, and the Dockerfile installs exactly what `make run`
installs (same lock file, same project, without the test tools)."""

import importlib
import importlib.util
import re
import shlex
import tomllib
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "compose"
APP_SERVICES = ("migrate", "web", "worker", "beat")

# Variables the .env file does not carry, and why.
NOT_IN_ENV_FILE = {
    "PORT": "make run's port; the container always listens on 8000",
    "HOST": "make run's address",
    "DEMO_IMAP_PORT": "make run's demo ports; the demo container keeps the defaults",
    "DEMO_LMTP_PORT": "idem",
    "DEMO_SMTP_PORT": "idem",
    "DEMO_REDIS_PORT": "make run's private Redis; the stack has its own",
    "WEBMAIL_VAR_DIR": "set by the image",
    "STATIC_MANIFEST": "set by the image, which ran collectstatic",
    "DATABASE_URL": "built by docker-compose.yml from POSTGRES_*",
}


@pytest.fixture(scope="module")
def stack() -> dict:
    return yaml.safe_load((COMPOSE / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(stack) -> dict:
    return stack["services"]


@pytest.fixture(scope="module")
def env_example() -> dict[str, bool]:
    """Every variable the example mentions: True when set, False when shown commented out."""
    names = {}
    for line in (COMPOSE / ".env.example").read_text().splitlines():
        match = re.fullmatch(r"(#\s*)?([A-Z][A-Z0-9_]*)=.*", line.strip())
        if match:
            names[match.group(2)] = names.get(match.group(2), False) or not match.group(1)
    return names


def _command(service: dict) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else list(command)


def test_the_stack_has_its_services_each_with_a_health_check(services):
    assert set(services) == {"postgres", "redis", "migrate", "web", "worker", "beat", "demo"}
    for name, service in services.items():
        test = service.get("healthcheck", {}).get("test")
        assert test and test[0] in ("CMD", "CMD-SHELL") and not service["healthcheck"].get("disable"), name


def test_web_serves_the_wsgi_application_with_gunicorn(services):
    command = _command(services["web"])
    assert command[0] == "gunicorn"
    module, _, attribute = command[1].partition(":")
    application = getattr(importlib.import_module(module), attribute or "application")
    assert callable(application)


@pytest.mark.parametrize("service", ["worker", "beat"])
def test_worker_and_beat_run_the_project_celery_app(services, service):
    command = _command(services[service])
    assert command[:3] == ["celery", "-A", "webmail"]
    assert service in command[3:5]  # after an optional global option (--quiet)


def test_the_celery_app_has_every_task_that_beat_schedules():
    from django.conf import settings

    from webmail.celery import app

    app.loader.import_default_modules()  # what a worker does at start: autodiscover the tasks
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"webmail.core.tasks.heartbeat", "webmail.outbox.tasks.sweep"} <= scheduled
    assert scheduled | {"webmail.outbox.tasks.deliver"} <= set(app.tasks)


@pytest.mark.parametrize(("service", "command"), [("migrate", "migrate"), ("demo", "demomail")])
def test_management_command_services_run_existing_commands(services, service, command):
    argv = _command(services[service])
    assert argv[:3] == ["python", "manage.py", command]
    assert command in get_commands()


def test_health_checks_call_probes_that_exist(services):
    from webmail.core import health

    for name, service in services.items():
        test = " ".join(service["healthcheck"]["test"][1:])
        for probe in re.findall(r"python -m (\S+) (\S+)", test):
            assert importlib.util.find_spec(probe[0]) is not None, name
            assert probe[0] == "webmail.core.health" and probe[1] in health.PROBES, name
        for command in re.findall(r"manage\.py (\S+)", test):
            assert command in get_commands(), name
    assert "inspect ping" in " ".join(services["worker"]["healthcheck"]["test"])


def test_app_services_start_after_a_successful_migration(services):
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["redis"]["condition"] == depends["postgres"]["condition"] == "service_healthy", name


def test_redis_persists_with_an_append_only_file_and_postgres_in_a_named_volume(stack, services):
    redis_command = _command(services["redis"])
    assert redis_command[redis_command.index("--appendonly") + 1] == "yes"
    assert any(volume.endswith(":/data") for volume in services["redis"]["volumes"])
    volume = next(v for v in services["postgres"]["volumes"] if v.endswith(":/var/lib/postgresql/data"))
    assert volume.split(":")[0] in stack["volumes"], "a named volume, not a host folder"


def test_exactly_one_beat_and_workers_that_can_scale(services):
    beats = [name for name, service in services.items()
             if "command" in service and "beat" in _command(service)[:5] and "celery" in _command(service)[:1]]
    assert beats == ["beat"]
    assert services["beat"].get("deploy", {}).get("replicas", 1) <= 1
    worker = services["worker"]
    assert "container_name" not in worker and "ports" not in worker, "both would stop --scale worker=N"


def test_the_demo_profile_is_off_by_default(services):
    assert services["demo"]["profiles"] == ["demo"]
    assert all("profiles" not in service for name, service in services.items() if name != "demo")


def test_every_setting_is_configured_from_the_one_env_file(stack, services, env_example):
    for name in APP_SERVICES + ("demo",):
        assert services[name]["env_file"] == ".env", name
    # Interpolated ${VARS}: those without a default must be in the .env file.
    text = (COMPOSE / "docker-compose.yml").read_text()
    for name, operator in re.findall(r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)(:[-?])?", text):
        if operator != ":-":
            assert name in env_example, f"${{{name}}} has no default and is missing from .env.example"
    # Every variable the settings read or the configuration reference documents.
    read_by_code = set()
    for path in (ROOT / "webmail").rglob("*.py"):
        read_by_code |= set(re.findall(r"env_(?:str|bool|int|list|security)\(\s*\"([A-Z][A-Z0-9_]*)\"", path.read_text()))
    documented = set()
    for line in (ROOT / "docs" / "configuration.md").read_text().splitlines():
        if line.startswith("| `"):
            documented |= set(re.findall(r"`([A-Z][A-Z0-9_]*)`", line.split("|")[1]))
    assert {"DJANGO_SECRET_KEY", "CREDENTIALS_KEYS", "LOG_FORMAT"} <= read_by_code | documented
    missing = sorted((read_by_code | documented) - set(env_example) - set(NOT_IN_ENV_FILE))
    assert not missing, f"not in compose/.env.example: {missing}"
    # The ones without a safe default must be set, not merely shown.
    for name in ("DJANGO_SECRET_KEY", "CREDENTIALS_KEYS", "POSTGRES_PASSWORD", "DJANGO_ALLOWED_HOSTS",
                 "DJANGO_HTTPS", "IMAP_HOST", "SMTP_HOST", "LOG_FORMAT"):
        assert env_example[name], f"{name} must be an active line of .env.example"
    assert re.search(r"^LOG_FORMAT=json$", (COMPOSE / ".env.example").read_text(), re.M)
    # The exceptions are really provided elsewhere.
    dockerfile = (COMPOSE / "Dockerfile").read_text()
    assert "STATIC_MANIFEST=true" in dockerfile and "WEBMAIL_VAR_DIR=/var/lib/webmail" in dockerfile
    assert all("DATABASE_URL" in services[name]["environment"] for name in APP_SERVICES)


def _pip_install(line: str) -> dict:
    """The parts of a `pip install` command line that decide what gets installed."""
    words = shlex.split(line)
    args = words[words.index("install") + 1:]
    parsed = {"constraints": None, "editable": False, "project": None, "extras": set()}
    i = 0
    while i < len(args):
        if args[i] in ("-c", "--constraint"):
            parsed["constraints"] = args[i + 1]
            i += 1
        elif args[i] in ("-e", "--editable"):
            parsed["editable"] = True
        elif not args[i].startswith("-"):
            project, _, extras = args[i].partition("[")
            parsed["project"] = project
            parsed["extras"] = {e.strip() for e in extras.rstrip("]").split(",") if e.strip()}
        i += 1
    return parsed


def _stages(dockerfile: str) -> dict[str, dict]:
    args = dict(re.findall(r"^ARG (\w+)=(\S+)", dockerfile, re.M))
    stages, current = {}, None
    for line in re.sub(r"\\\n", " ", dockerfile).splitlines():
        if line.startswith("#"):
            continue
        match = re.match(r"FROM (\S+) AS (\w+)", line)
        if match:
            base = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], match.group(1))
            current = stages[match.group(2)] = {"base": base, "lines": []}
        elif current is not None:
            current["lines"].append(line)
    return stages


def test_the_image_installs_what_make_run_installs():
    makefile = (ROOT / "Makefile").read_text()
    make_line = next(line for line in makefile.splitlines() if "pip install" in line and "requirements.lock" in line)
    dockerfile = (COMPOSE / "Dockerfile").read_text()
    docker_line = next(part for line in re.sub(r"\\\n", " ", dockerfile).splitlines() if not line.startswith("#")
                       for part in line.split("&&") if "pip install" in part and "requirements.lock" in part)
    make, docker = _pip_install(make_line), _pip_install(docker_line)
    assert make["constraints"] == docker["constraints"] == "requirements.lock"
    assert make["project"] == docker["project"] == "."  # the project of pyproject.toml
    assert make["editable"] == docker["editable"], "same layout: code runs from the source tree"
    assert make["extras"] == {"test"} and docker["extras"] <= make["extras"] - {"test"}, "no test tools in the image"
    assert re.search(r"^COPY pyproject\.toml requirements\.lock ", dockerfile, re.M)


def test_the_lock_file_pins_every_dependency_of_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pinned = {canonicalize_name(line.split("==")[0]) for line in (ROOT / "requirements.lock").read_text().split()}
    wanted = project["dependencies"] + project["optional-dependencies"]["test"]
    assert {"gunicorn", "pyyaml"} <= {canonicalize_name(Requirement(r).name) for r in wanted}
    missing = [r for r in wanted if canonicalize_name(Requirement(r).name) not in pinned]
    assert not missing, f"not pinned in requirements.lock: {missing}"


def test_the_final_image_is_slim_non_root_without_build_tools(services):
    stages = _stages((COMPOSE / "Dockerfile").read_text())
    assert list(stages)[-1] == "runtime", "the default build target is the production image"
    runtime, app = stages["runtime"], stages[stages["runtime"]["base"]]
    assert app["base"].startswith("python:3.11-slim")
    final = "\n".join(app["lines"] + runtime["lines"])
    assert "apt-get install" not in final and "build-essential" not in final and "gcc" not in final
    assert re.search(r"^USER (?!root|0\b)\w+", "\n".join(runtime["lines"]), re.M)
    assert "build-essential" in "\n".join(stages["builder"]["lines"])
    assert re.search(r"STATIC_MANIFEST=true python manage\.py collectstatic", "\n".join(stages["builder"]["lines"]))
    for name in APP_SERVICES:
        assert services[name]["build"]["target"] == "runtime"
    assert services["demo"]["build"]["target"] == "demo" and "demo" in stages
