"""The documented way to run verify's checks inside a user's own pytest suite, against an ASGI app."""

from __future__ import annotations

from typing import Any

from mockserver.verify import load_contract
from tests.conftest import SPECS
from tests.contract.test_schemathesis import APP

schema = load_contract(
    SPECS / "eightbyeight.yaml", app=APP, headers={"Authorization": "Bearer test-token"}, max_examples=15
)


@schema.parametrize()
def test_app_keeps_the_8x8_contract(case: Any) -> None:
    case.call_and_validate()
