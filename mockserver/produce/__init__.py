"""The produce layer: bodies from fixtures or generation, coherent with request and clock (no HTTP)."""
