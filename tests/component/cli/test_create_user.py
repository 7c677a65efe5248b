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
    result = await run_cli("create-user", "--username", "sam", "--password", "s3cret-enough", "--role", "supervisor",
                           "--extension", "250", "--display-name", "Sam Super")
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


async def test_password_can_come_from_stdin(run_cli: CliRunner) -> None:
    """Without --password the password is read from stdin (so it stays out of the process list)."""
    result = await run_cli("create-user", "--username", "ada", "--role", "admin", stdin="from-stdin-pw\n")
    assert result.returncode == 0, result.stderr
    again = await run_cli("create-user", "--username", "ada", "--role", "admin", stdin="from-stdin-pw\n")
    assert again.returncode == 2
    assert "contact-center: error: username 'ada'" in again.stderr
    assert "already taken" in again.stderr
    assert "Traceback" not in again.stderr


async def test_invalid_user_is_refused_with_a_clear_error(run_cli: CliRunner) -> None:
    """An unknown department is a validation error: exit code 2, one readable line, no traceback."""
    result = await run_cli("create-user", "--username", "bob", "--password", "long-enough-pw", "--role", "agent",
                           "--departments", "sales,nowhere")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["contact-center: error: unknown departments: nowhere, sales"]
