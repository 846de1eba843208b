"""Schemathesis hooks for `.ci/fuzz.py`: they keep positive test cases (which the service must
accept) within what the OpenAPI document allows, where the generator steps outside it.

- A list's `cursor` is opaque and bound to the list and filters it was issued for, so no cursor
  can be made up that the service must accept. A positive case sends a cursor only when the
  service issued it as some list's `next_cursor`; a made-up one is left out. Negative cases keep
  theirs, and must still be rejected with a 400.
- An `Idempotency-Key` names one request: sent again with another body it is refused with a 422.
  The generator draws keys from a small space and would reuse them across unrelated requests, so
  positive cases carry a fresh key each.
- Some values the generator passes off as positive break the parameter's own schema: the coverage
  phase sends `If-Match: 0` (it cannot build a header value holding quotes), and the stateful
  phase fills a path's `{id}` with `None` when the response it follows had `null` there. Such an
  optional header or query parameter is left out; such a path parameter, where a UUID is
  expected, becomes a random UUID (which names nothing, so a 404 is the expected answer)."""

import threading
import uuid

import schemathesis

_issued = set()
_lock = threading.Lock()


@schemathesis.hook
def after_call(ctx, case, response):
    if response.status_code != 200:
        return
    try:
        body = response.json()
    except Exception:
        return
    cursor = body.get("next_cursor") if isinstance(body, dict) else None
    if isinstance(cursor, str):
        with _lock:
            _issued.add(cursor)


def _parameters(case, location):
    try:
        return list(getattr(case.operation, location))
    except Exception:
        return []


def _keep_within_schema(case):
    for parameter in _parameters(case, "headers"):
        if parameter.name == "Authorization" or not case.headers or parameter.name not in case.headers:
            continue
        if not parameter.is_valid(case.headers[parameter.name]):
            del case.headers[parameter.name]
    for parameter in _parameters(case, "query"):
        if not case.query or parameter.name not in case.query:
            continue
        if not parameter.is_valid(case.query[parameter.name]) and not parameter.is_required:
            del case.query[parameter.name]
    for parameter in _parameters(case, "path_parameters"):
        if not case.path_parameters or parameter.name not in case.path_parameters:
            continue
        value = case.path_parameters[parameter.name]
        if not parameter.is_valid(value) and parameter.definition.get("schema", {}).get("format") == "uuid":
            case.path_parameters[parameter.name] = str(uuid.uuid4())


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return
    _keep_within_schema(case)
    if case.headers and "Idempotency-Key" in case.headers:
        case.headers["Idempotency-Key"] = uuid.uuid4().hex
    if not case.query:
        return
    cursor = case.query.get("cursor")
    with _lock:
        issued = cursor in _issued
    if cursor is not None and not issued:
        del case.query["cursor"]
