"""Semantic checks beyond the schema, read from the same `x-mock` extensions that drive the mock.

Each check is a Schemathesis check function `(ctx, response, case)`; a violation raises
`ContractViolation` naming the check, what was expected and what came back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from schemathesis.core.failures import Failure

from mockserver.pipeline.parameters import coerce
from mockserver.produce.lifecycle import sort_key
from mockserver.spec.catalog import Api, Operation
from mockserver.spec.pointers import pointer_get
from mockserver.spec.responses import response_schema
from mockserver.spec.rules import Collection
from mockserver.verify.grounds import locate
from mockserver.verify.lifecycles import check_resource, find_lifecycles, lifecycle_view, resources_at

__all__ = [
    "ContractViolation",
    "Probe",
    "find_lifecycles",
    "lifecycle_view",
    "operation_for",
    "request_values",
    "semantic_checks",
]

Check = Callable[[Any, Any, Any], bool | None]


class ContractViolation(Failure):
    """A documented fact the server broke."""

    code = "MS900"
    kind_title = "Contract violation"

    def __init__(
        self,
        *,
        check: str,
        operation: str,
        title: str,
        expected: Any,
        got: Any,
        grounds: tuple[str, ...] = (),
    ) -> None:
        super().__init__(operation=operation, title=title, message=f"expected: {expected}\ngot: {got}")
        self.check_name = check
        self.expected = expected
        self.got = got
        self.grounds = grounds


def operation_for(api: Api, case: Any) -> Operation | None:
    operation_id = case.operation.definition.raw.get("operationId")
    return next((op for op in api.operations if op.id == operation_id), None)


def request_values(case: Any, response: Any = None, op: Operation | None = None) -> dict[str, dict[str, Any]]:
    """The request values by location, as `x-mock` names them: read from the request that was
    actually sent when there is one (a generated value may serialise differently), else the case."""
    values = {
        "path": dict(case.path_parameters or {}),
        "query": dict(case.query or {}) if isinstance(case.query, Mapping) else {},
        "header": {k: v for k, v in (case.headers or {}).items()},
    }
    url = getattr(getattr(response, "request", None), "url", None)
    if op is None or not isinstance(url, str):
        return values
    parts = urlsplit(url)
    in_path = op.matches(parts.path)
    if in_path is not None:
        values["path"] = {k: unquote(v) for k, v in in_path.items()}
    sent = parse_qs(parts.query, keep_blank_values=True)
    query: dict[str, Any] = {}
    for param in op.parameters:
        if param.location == "query" and param.name in sent:
            raw = sent[param.name]
            if param.schema.get("type") == "array":
                query[param.name] = [coerce(param.schema.get("items") or {}, v) for v in raw]
            else:
                query[param.name] = coerce(param.schema, raw[-1])
    values["query"] = query
    return values


def _value(values: Mapping[str, Mapping[str, Any]], ref: str, op: Operation) -> Any:
    location, _, name = ref.partition(".")
    value = (values.get(location) or {}).get(name)
    if value is None and (param := op.parameter(ref)) is not None:
        value = param.schema.get("default")
    return value


def _same(a: Any, b: Any) -> bool:
    return a == b or str(a) == str(b)


def _items(body: Any, collection: Collection) -> list[Any] | None:
    items = body if collection.at == "" else pointer_get(body, collection.at)
    return items if isinstance(items, list) else None


def semantic_checks(api: Api) -> list[Check]:
    """The spec's own facts as Schemathesis checks, for `additional_checks=` or `verify`."""

    def success_body(response: Any, case: Any) -> tuple[Operation, Any] | None:
        op = operation_for(api, case)
        if op is None or not 200 <= response.status_code < 300:
            return None
        try:
            return op, response.json()
        except ValueError:
            return None

    def fail(
        check: str, op: Operation, title: str, expected: Any, got: Any, grounds: tuple[str, ...] = ()
    ) -> None:
        raise ContractViolation(
            check=check, operation=op.id, title=title, expected=expected, got=got, grounds=grounds
        )

    def where_of(op: Operation, *keys: str) -> tuple[str, ...]:
        """Where the op's `x-mock` rule behind a check sits in the spec."""
        return tuple(f"{op.pointer}/x-mock{key}" for key in keys)

    def ids_echoed(ctx: Any, response: Any, case: Any) -> bool | None:
        found = success_body(response, case)
        if found is None:
            return None
        op, body = found
        values = request_values(case, response, op)
        targets: list[tuple[Any, Mapping[str, str]]] = [(body, op.rules.echo)]
        if op.rules.collection is not None and op.rules.collection.echo:
            targets += [(item, op.rules.collection.echo) for item in _items(body, op.rules.collection) or []]
        for target, echo in targets:
            for pointer, ref in echo.items():
                wanted = None if ref == "$each" else _value(values, ref, op)
                if wanted is None or not isinstance(target, dict):
                    continue
                got = pointer_get(target, pointer)
                if not _same(got, wanted):
                    where = where_of(op, "/echo", "/collection/echo")
                    fail("ids_echoed", op, f"{pointer} does not echo {ref}", wanted, got, where)
        return True

    def list_semantics(ctx: Any, response: Any, case: Any) -> bool | None:
        found = success_body(response, case)
        if found is None or found[0].rules.collection is None:
            return None
        op, body = found
        rules = op.rules.collection
        assert rules is not None
        items = _items(body, rules)
        if items is None:
            return None
        values = request_values(case, response, op)
        if rules.limit and (limit := _value(values, rules.limit, op)) is not None and len(items) > int(limit):
            fail(
                "list_within_limit",
                op,
                "more items than limit",
                f"at most {limit} items",
                f"{len(items)} items",
                where_of(op, "/collection/limit"),
            )
        if rules.each:
            wanted = _value(values, rules.each, op)
            wanted = [] if wanted is None else wanted if isinstance(wanted, list) else [wanted]
            pointer = next((p for p, ref in rules.echo.items() if ref == "$each"), None)
            got = [pointer_get(i, pointer) if pointer else None for i in items]
            if pointer and [str(g) for g in got] != [str(w) for w in wanted]:
                title = "not one entry per requested id"
                fail("one_entry_per_id", op, title, wanted, got, where_of(op, "/collection/each"))
        for rule in rules.filters:
            wanted = _value(values, rule.param, op)
            if wanted is None:
                continue
            for item in items:
                got = pointer_get(item, rule.field)
                a, b = sort_key(got), sort_key(_like(wanted, got))
                try:
                    ok = {"eq": a == b, "ge": a >= b, "le": a <= b}[rule.op]
                except TypeError:
                    ok = False
                if not ok:
                    fail(
                        "filters_honoured",
                        op,
                        f"{rule.param} not honoured at {rule.field}",
                        f"{rule.op} {wanted}",
                        got,
                        (f"{op.pointer}/x-mock/collection/filters",),
                    )
        if rules.order_by is not None:
            keys = [sort_key(pointer_get(i, rules.order_by)) for i in items]
            try:
                ordered = keys == sorted(keys, reverse=rules.descending)
            except TypeError:
                ordered = False
            if not ordered:
                direction = "descending" if rules.descending else "ascending"
                title = f"not ordered by {rules.order_by}"
                fail("documented_order", op, title, direction, keys[:5], where_of(op, "/collection/order"))
        return True

    def status_and_times(ctx: Any, response: Any, case: Any) -> bool | None:
        found = success_body(response, case)
        if found is None:
            return None
        op, body = found
        schema = response_schema(op, response.status_code) or {}
        for pointer, sub, lifecycle in find_lifecycles(schema):
            where = locate(api.document, "x-mock-lifecycle", sub.get("x-mock-lifecycle")) or ""
            for resource in resources_at(body, pointer):
                check_resource(op, resource, sub, lifecycle, fail, f"{where}/x-mock-lifecycle")
        return True

    ids_echoed.__name__ = "ids_echoed"
    list_semantics.__name__ = "list_semantics"
    status_and_times.__name__ = "status_and_times"
    from mockserver.verify.invariants import tree_checks  # issue 15: tree/lifecycle invariants

    return [ids_echoed, list_semantics, status_and_times, *tree_checks(api, ContractViolation)]


def _like(value: Any, example: Any) -> Any:
    """`value` (often a query string) as the type of `example`, when it converts."""
    if isinstance(example, bool) or not isinstance(value, str):
        return value
    try:
        return type(example)(value) if isinstance(example, int | float) else value
    except ValueError:
        return value


class Probe:
    """Names of the checks that need more than one request (run by the verify runner)."""

    CREDENTIALS = "credentials_required"
    POLLS = "no_status_regression"
    PAGES = "pages_consistent"
