"""Who may read the dashboard: the users file (roles, tenants, password hashes) and the sign-in records kept beside
it. Read by the dashboard's sign-in and written by `jobmetrics users`."""
