"""HTTP plumbing shared by every route: bodies, errors, auth, metrics, OpenAPI."""
