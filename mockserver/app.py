"""The public entry point: the whole server as one ASGI app (built in `mockserver.server`)."""

from __future__ import annotations

from mockserver.server.app import create_app, create_app_from_environ

__all__ = ["create_app", "create_app_from_environ"]
