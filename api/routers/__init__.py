"""One router per concern; `api.app.create_app` mounts them (and `economics`, when that module exists)."""
