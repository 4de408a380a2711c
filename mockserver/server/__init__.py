"""The server layer: the only Connexion/Starlette-aware code (ASGI app, middlewares, control API, docs)."""
