"""The analyst workspace over HTTP: a REST API (FastAPI) and the offline dashboard it serves.

`create_app(workspace, db_url)` builds the app; `filon serve WS` runs it. Alerts come from
`WS/results/` (written by `filon analyze` or by the API's background analysis); triage,
users and the audit trail live in a SQL database (SQLite inside the workspace by default).
"""

from filon.api.app import create_app

__all__ = ["create_app"]
