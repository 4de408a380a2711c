"""The ask: what one body answers, with the keys scenarios, clock offsets and the journal use."""

from __future__ import annotations

from mockserver.produce.ask import Ask, item_key, resource_key
from tests.unit.parts import api, op, read

ETL, FLOW = api("etlworks"), op("etlworks", "getFlowStatus")


def test_the_resource_key_names_the_api_resource_and_key_values() -> None:
    values = read("etlworks", "getFlowStatus", path={"flowId": "7"}, query={"auditId": "3"})
    assert resource_key(ETL, FLOW, values) == "etlworks:flowStatus:(7, 3, None)"
    assert item_key(ETL, FLOW, "x") == "etlworks:flowStatus:('x',)"


def test_an_ask_carries_parts_from_the_seed_and_the_time_its_id_sees() -> None:
    values = read("etlworks", "getFlowStatus", path={"flowId": "7"})
    seen: list[str] = []
    ask = Ask.of(ETL, FLOW, values, {}, seed=5, now=lambda key: seen.append(key) or 100.0)
    assert ask.parts == (5, "etlworks", "flowStatus", "(7, None, None)")
    assert ask.key == resource_key(ETL, FLOW, values) and seen == [ask.key] and ask.now == 100.0
    assert ask.but(now=1.0).now == 1.0 and ask.now == 100.0
