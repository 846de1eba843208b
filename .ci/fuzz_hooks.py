"""Schemathesis hooks for `.ci/fuzz.py`.

A list's `cursor` is opaque and bound to the list and filters it was issued for, so no cursor can
be made up that the service must accept. In positive test cases (which must be accepted) a cursor
is therefore sent only when the service issued it as some list's `next_cursor`; a made-up one is
left out of the request. Negative cases keep theirs, and must still be rejected with a 400."""

import threading

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


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or not case.query:
        return
    cursor = case.query.get("cursor")
    with _lock:
        issued = cursor in _issued
    if cursor is not None and not issued:
        del case.query["cursor"]
