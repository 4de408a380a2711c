"""HTTPS for the mock: a local CA and a certificate for localhost, made once and reused."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["TlsFiles", "default_tls_dir", "ensure_localhost_cert", "trust_hint"]


@dataclass(frozen=True)
class TlsFiles:
    """The files uvicorn serves with, and the CA a client must trust."""

    cert: Path
    key: Path
    ca: Path | None


def default_tls_dir() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "mockserver" / "tls"


def ensure_localhost_cert(directory: Path) -> TlsFiles:
    """A CA and a localhost/127.0.0.1/::1 certificate in `directory`, created on first use.

    Reusing them across runs means a client trusts the CA once, not at every start.
    """
    import trustme

    files = TlsFiles(directory / "localhost.pem", directory / "localhost-key.pem", directory / "ca.pem")
    if files.cert.exists() and files.key.exists() and files.ca is not None and files.ca.exists():
        return files
    directory.mkdir(parents=True, exist_ok=True)
    authority = trustme.CA(organization_name="mockserver local CA")
    issued = authority.issue_cert("localhost", "127.0.0.1", "::1")
    issued.cert_chain_pems[0].write_to_path(str(files.cert))
    issued.private_key_pem.write_to_path(str(files.key))
    assert files.ca is not None
    authority.cert_pem.write_to_path(str(files.ca))
    files.key.chmod(0o600)
    return files


def trust_hint(files: TlsFiles) -> str:
    """How to make common clients trust the mock's certificate."""
    if files.ca is None:
        return f"serving HTTPS with {files.cert}"
    return (
        f"serving HTTPS with a certificate for localhost signed by the mock's CA {files.ca}; trust it with\n"
        f"  curl --cacert {files.ca} ...   |   SSL_CERT_FILE={files.ca} (Python/httpx)   |   "
        f"REQUESTS_CA_BUNDLE={files.ca}   |   NODE_EXTRA_CA_CERTS={files.ca}   |   "
        f"AWS_CA_BUNDLE={files.ca} (AWS SDKs)"
    )
