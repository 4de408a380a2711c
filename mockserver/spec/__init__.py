"""The spec layer: load and resolve OpenAPI documents and the `x-` vocabulary (no Connexion, no HTTP)."""
