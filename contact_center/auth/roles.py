"""Who is logged in, and what their role lets them see."""

from __future__ import annotations

from dataclasses import dataclass

from contact_center.errors import Forbidden

RANK = {"agent": 1, "supervisor": 2, "admin": 3}


@dataclass(frozen=True)
class Principal:
    """The logged-in user as every request and websocket sees them."""

    id: int
    username: str
    display_name: str
    role: str
    extension: str | None
    departments: tuple[str, ...]
    language: str | None = None  # the UI language the user chose (None: the browser's, else the default)

    def at_least(self, role: str) -> bool:
        return RANK.get(self.role, 0) >= RANK[role]

    def require(self, role: str) -> None:
        """Raise :class:`Forbidden` unless this user has *role* or a higher one."""
        if not self.at_least(role):
            raise Forbidden(f"this needs the {role} role")

    def sees_department(self, department: str | None) -> bool:
        """Agents see their departments (and unrouted contacts); supervisors and admins see all."""
        return self.at_least("supervisor") or department is None or department in self.departments

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "username": self.username,
            "display_name": self.display_name,
            "role": self.role,
            "extension": self.extension,
            "departments": list(self.departments),
            "language": self.language,
        }
