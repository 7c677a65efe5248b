"""THE route x role authorisation matrix: every route the application serves, and who may call it.

``tests/component/core/test_authz_matrix.py`` starts the app with every plugin, lists its routes
and fails when a route is missing here (or listed here but gone), then calls each one
unauthenticated and as every role: a role below the route's minimum must get 401 (no session) or
403; the minimum role and above must get past the check (any status but 401/403; an object-level
404 or a 422 for the empty body is fine).

Adding a route? Add one line: ``("METHOD", "/path/{param}"): ROLE``. Roles:

* ``"agent"``, ``"supervisor"``, ``"admin"``: the least role with a session that may call it;
* ``"public"``: anyone, no session (login, health, the OpenAPI document, static files);
* ``"token"``: machine-to-machine, authenticated by a token of its own (not a session);
* ``"page"``: an HTML page or a websocket that itself sends anonymous visitors to log in.
"""

from __future__ import annotations

MATRIX: dict[tuple[str, str], str] = {
    # core: sessions, health, the API document
    ("POST", "/api/v1/auth/login"): "public",
    ("POST", "/api/v1/auth/logout"): "public",  # ends the session it is sent with, if any
    ("GET", "/api/v1/me"): "agent",
    ("GET", "/api/v1/auth/login-attempts"): "admin",
    ("PATCH", "/api/v1/me"): "agent",  # the user's own preferences (language)
    ("GET", "/healthz"): "public",
    ("GET", "/metrics"): "public",
    ("GET", "/api/openapi.json"): "public",
    ("GET", "/api/v1/channels"): "agent",
    # audit
    ("GET", "/api/v1/audit"): "admin",
    ("GET", "/api/v1/audit/export"): "admin",
    # privacy (data-subject rights)
    ("GET", "/api/v1/privacy/customers/{id}/export"): "admin",
    ("POST", "/api/v1/privacy/customers/{id}/erase"): "admin",
    ("POST", "/api/v1/privacy/retention/run"): "admin",
    # customers
    ("POST", "/api/v1/customers"): "agent",
    ("GET", "/api/v1/customers/{id}"): "agent",
    ("POST", "/api/v1/customers/{id}/identities"): "agent",
    ("POST", "/api/v1/customers/{id}/merge"): "supervisor",
    ("POST", "/api/v1/customers/{id}/unmerge"): "supervisor",
    ("GET", "/api/v1/customers/{id}/sources/{name}/history"): "agent",
    # inbox
    ("GET", "/api/v1/conversations"): "agent",
    ("GET", "/api/v1/conversations/{id}"): "agent",
    ("PATCH", "/api/v1/conversations/{id}"): "agent",
    ("GET", "/api/v1/conversations/{id}/pop"): "agent",
    ("GET", "/api/v1/conversations/{id}/messages"): "agent",
    ("POST", "/api/v1/conversations/{id}/messages"): "agent",
    ("GET", "/api/v1/conversations/{id}/messages/{message_id}/raw"): "agent",
    ("GET", "/api/v1/conversations/{id}/messages/{message_id}/attachments/{position}"): "agent",
    ("POST", "/api/v1/conversations/{id}/wrap-up"): "agent",
    ("GET", "/api/v1/conversations/{id}/transfer"): "agent",  # who it can go to
    ("POST", "/api/v1/conversations/{id}/transfer"): "agent",
    ("GET", "/api/v1/search"): "agent",
    ("GET", "/api/v1/customers/{id}/timeline"): "agent",
    # tasks: callbacks, follow-ups, missed-call notices
    ("GET", "/api/v1/conversations/{id}/tasks"): "agent",
    ("POST", "/api/v1/tasks/{id}/outcome"): "agent",
    ("POST", "/api/v1/conversations/{id}/follow-up"): "agent",
    ("DELETE", "/api/v1/conversations/{id}/follow-up"): "agent",
    ("GET", "/api/v1/desk/missed-calls"): "agent",
    ("POST", "/api/v1/desk/missed-calls/{id}/dismiss"): "agent",
    # desk, wallboard and their helpers
    ("GET", "/"): "page",
    ("GET", "/desk"): "page",
    ("GET", "/wallboard"): "page",
    ("GET", "/agent"): "page",  # redirects to /desk
    ("GET", "/ui/i18n"): "public",  # i18n.js and the screens' catalogs
    ("GET", "/ui/desk"): "public",
    ("GET", "/ui/wallboard"): "public",
    ("GET", "/ws/agent"): "agent",
    ("GET", "/ws/supervisor"): "supervisor",
    ("GET", "/api/v1/desk/config"): "agent",
    ("GET", "/api/v1/desk/wallboard/history"): "supervisor",
    # routing
    ("GET", "/api/v1/stats/queues"): "supervisor",
    ("GET", "/api/v1/routing/presence"): "agent",
    ("PUT", "/api/v1/routing/presence"): "agent",
    ("POST", "/api/v1/routing/wrap-up/extend"): "agent",
    ("PUT", "/api/v1/routing/agents/{id}/presence"): "supervisor",  # agents of their departments
    ("POST", "/api/v1/routing/agents/{id}/logout"): "supervisor",  # agents of their departments
    ("GET", "/api/v1/routing/queues/{queue}/contacts"): "supervisor",
    ("POST", "/api/v1/routing/contacts/{id}/assign"): "supervisor",
    ("GET", "/api/v1/routing/state-reasons"): "supervisor",
    ("POST", "/api/v1/routing/offers/{offer_id}/accept"): "agent",
    ("POST", "/api/v1/routing/offers/{offer_id}/reject"): "agent",
    # channels
    ("GET", "/chat/ws"): "public",  # the visitor's socket ([chat] allowed_origins)
    ("GET", "/chat/widget.js"): "public",
    ("GET", "/chat/i18n/{lang}.json"): "public",  # the widget's catalogs (CORS)
    ("GET", "/chat/demo"): "public",
    ("POST", "/api/v1/cti/{token}"): "token",
    ("POST", "/api/v1/channels/{id}/messages"): "token",  # the bridge's bearer token
    ("GET", "/api/v1/admin/api-channels"): "admin",
    ("POST", "/api/v1/admin/api-channels"): "admin",
    ("PATCH", "/api/v1/admin/api-channels/{id}"): "admin",
    ("POST", "/api/v1/admin/api-channels/{id}/token"): "admin",
    ("POST", "/api/v1/admin/api-channels/{id}/secret"): "admin",
    ("GET", "/api/v1/admin/api-channels/{id}/deliveries"): "admin",
    ("POST", "/api/v1/sipgate"): "token",  # HTTP basic auth: the PBX's name and token
    ("POST", "/api/v1/sipgate/{token}"): "token",
    ("POST", "/api/v1/sipgate/{token}/{direction}"): "token",
    # admin: the console, the organisation, the live configuration (supervisors read what they plan with)
    ("GET", "/admin"): "page",
    ("GET", "/ui/admin"): "public",
    ("GET", "/api/v1/setup"): "public",  # whether the first admin still has to be created
    ("POST", "/api/v1/setup"): "public",  # creates the first admin, once; 409 afterwards
    ("GET", "/api/v1/departments"): "supervisor",
    ("POST", "/api/v1/departments"): "admin",
    ("GET", "/api/v1/departments/{slug}"): "supervisor",
    ("PATCH", "/api/v1/departments/{slug}"): "admin",
    ("PATCH", "/api/v1/queues/{slug}"): "admin",
    ("GET", "/api/v1/users"): "supervisor",
    ("POST", "/api/v1/users"): "admin",
    ("GET", "/api/v1/users/{id}"): "supervisor",
    ("PATCH", "/api/v1/users/{id}"): "admin",
    ("POST", "/api/v1/users/{id}/password"): "admin",
    ("GET", "/api/v1/config"): "supervisor",
    ("PUT", "/api/v1/config/{section}"): "admin",
    ("GET", "/api/v1/config/export"): "admin",
    ("POST", "/api/v1/config/import"): "admin",
    ("POST", "/api/v1/config/pbx"): "admin",
    ("POST", "/api/v1/config/pbx/{name}/rotate"): "admin",
    ("GET", "/api/v1/routing/rules"): "supervisor",
    ("POST", "/api/v1/routing/try"): "supervisor",
    ("POST", "/api/v1/email/test"): "admin",
    ("GET", "/api/v1/sources"): "admin",
    ("POST", "/api/v1/sources/{name}/test"): "admin",
}
