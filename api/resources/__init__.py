"""One module per resource; each exposes `blp`, registered by api.app in RESOURCES order."""
