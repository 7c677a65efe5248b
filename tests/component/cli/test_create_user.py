"""``create-user``: a user created by the CLI logs in through the real app; bad input exits with 2."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from contact_center.settings import Settings
from tests.component.cli.conftest import CliRunner
from tests.conftest import AppStarter


async def test_created_user_logs_in_through_the_app(
    run_cli: CliRunner, start_app: AppStarter, settings_factory: Callable[..., Settings], tmp_path: Path
) -> None:
    """create-user on a fresh store migrates it, and the new supervisor can log in and see itself in /me."""
    result = await run_cli("create-user", "--username", "sam", "--role", "supervisor",
                           "--extension", "250", "--display-name", "Sam Super", stdin="s3cret-enough\n")
    assert result.returncode == 0, result.stderr
    assert "created supervisor 'sam'" in result.stdout
    app = await start_app(settings_factory(database_url=f"sqlite+aiosqlite:///{tmp_path / 'cc.db'}"), plugins=[])
    async with app.session() as client:
        login = await client.post("/api/v1/auth/login", json={"username": "sam", "password": "s3cret-enough"})
        assert login.status == 200
        me = await (await client.get("/api/v1/me")).json()
    assert me["user"]["username"] == "sam"
    user = me["user"]
    assert (user["role"], user["extension"], user["display_name"]) == ("supervisor", "250", "Sam Super")
    async with app.session() as client:
        wrong = await client.post("/api/v1/auth/login", json={"username": "sam", "password": "not-the-password"})
        assert wrong.status == 401


async def test_password_is_never_an_option(run_cli: CliRunner) -> None:
    """A password cannot be given on the command line (it would show in the process list): usage error."""
    result = await run_cli("create-user", "--username", "ada", "--password", "from-the-cli-pw", "--role", "admin")
    assert result.returncode == 2
    assert "unrecognized arguments: --password" in result.stderr


async def test_running_again_updates_the_user(
    run_cli: CliRunner, start_app: AppStarter, settings_factory: Callable[..., Settings], tmp_path: Path
) -> None:
    """create-user for an existing name changes what is given (departments, role) and keeps the password;
    --reset-password reads a new one from stdin."""
    assert (await run_cli("department", "add", "sales", "--name", "Sales")).returncode == 0
    assert (await run_cli("department", "add", "service", "--name", "Service")).returncode == 0
    made = await run_cli("create-user", "--username", "ada", "--departments", "sales", stdin="from-stdin-pw\n")
    assert made.returncode == 0, made.stderr
    again = await run_cli("create-user", "--username", "ada", "--departments", "sales,service",
                          "--display-name", "Ada L")
    assert again.returncode == 0, again.stderr
    assert "updated 'ada'" in again.stdout
    reset = await run_cli("create-user", "--username", "ada", "--reset-password", stdin="another-secret-pw\n")
    assert reset.returncode == 0, reset.stderr
    app = await start_app(settings_factory(database_url=f"sqlite+aiosqlite:///{tmp_path / 'cc.db'}"), plugins=[])
    async with app.session() as client:
        old = await client.post("/api/v1/auth/login", json={"username": "ada", "password": "from-stdin-pw"})
        assert old.status == 401
        login = await client.post("/api/v1/auth/login", json={"username": "ada", "password": "another-secret-pw"})
        assert login.status == 200
        me = (await login.json())["user"]
    assert (me["display_name"], me["departments"], me["role"]) == ("Ada L", ["sales", "service"], "agent")


async def test_weak_password_is_refused(run_cli: CliRunner) -> None:
    """The password policy applies on the command line too: a common password exits with 2 naming why."""
    result = await run_cli("create-user", "--username", "bo", "--role", "agent", stdin="password123\n")
    assert result.returncode == 2
    assert "common passwords" in result.stderr


async def test_invalid_user_is_refused_with_a_clear_error(run_cli: CliRunner) -> None:
    """An unknown department is a validation error: exit code 2, one readable line, no traceback."""
    result = await run_cli("create-user", "--username", "bob", "--role", "agent",
                           "--departments", "sales,nowhere", stdin="long-enough-pw\n")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["contact-center: error: unknown departments: nowhere, sales"]
