"""One router per concern; `create_app` (app.py) mounts each of them under /v1, behind the API token."""
