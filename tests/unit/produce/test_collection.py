"""Lists: filters, documented order and paging; the same members page after page."""

from __future__ import annotations

from mockserver.produce.collection import select_items
from mockserver.spec.rules import Collection, Filter
from tests.unit.parts import wire

WORKFLOWS = ("eightbyeight", "listWorkflowInstances")
PATH = {"accountId": "acme", "definitionId": "0e4ff3a4-0000-4000-8000-000000000001"}
RULES = Collection(
    at="",
    order_by="/n",
    descending=True,
    limit="query.limit",
    offset="query.offset",
    filters=(Filter(param="query.kind", field="/kind"),),
)
ITEMS = [{"n": n, "kind": "odd" if n % 2 else "even"} for n in range(6)]


def test_select_filters_orders_and_pages() -> None:
    picked = select_items(RULES, ITEMS, {"query": {"kind": "odd", "limit": 2, "offset": 0}})
    assert picked == [{"n": 5, "kind": "odd"}, {"n": 3, "kind": "odd"}]
    assert select_items(RULES, ITEMS, {"query": {"offset": 5}}) == [{"n": 0, "kind": "even"}]


def test_an_absent_max_filter_keeps_the_largest_value() -> None:
    rules = Collection(at="", filters=(Filter(param="query.v", field="/v", absent="max"),))
    assert select_items(rules, [{"v": 1}, {"v": 3}, {"v": 3}], {"query": {}}) == [{"v": 3}, {"v": 3}]


def test_pages_of_a_generated_list_are_slices_of_one_list() -> None:
    parts = wire(fixtures=False)
    producer = parts.producer

    def page(query: dict[str, str]) -> list[dict[str, object]]:
        request = parts.request(*WORKFLOWS, path=PATH, query=query)
        ask = producer.ask(request.api, request.op, request.values, "200")
        body = producer.body(ask)
        assert isinstance(body, list)
        return body

    whole = page({"limit": "100"})
    assert page({"limit": "2", "offset": "1"}) == whole[1:3]
    assert all(item["definitionId"] == PATH["definitionId"] for item in whole)
    started = [item["startedAt"] for item in whole]
    assert started == sorted(started, reverse=True)
