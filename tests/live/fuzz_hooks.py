"""Schemathesis hooks for the live fuzzing run (tests/live/test_fuzz.py).

Half the valid generated ids of networks, organisations, bodies, elections and nominations
are steered onto ones that exist on the server (REGISTRY_FUZZ_IDS names them), so generated
requests also reach past the 404s into the registry's own checks. Ids outside the documented
range are left alone: they are what a negative case is testing. And a run never revokes the
token it runs with (REGISTRY_FUZZ_TOKEN_ID, its public id): every request after that would only
test the 401.
"""

from __future__ import annotations

import json
import os
from typing import Any

import schemathesis

MAX_ID = 2**31 - 1
_IDS: dict[str, str] = json.loads(os.environ.get("REGISTRY_FUZZ_IDS", "{}"))
_OWN_TOKEN = os.environ.get("REGISTRY_FUZZ_TOKEN_ID") or None
NO_TOKEN = "ZZZZZZZZZZZZ"  # a well-formed public id that names no token
# A path parameter, and what (by its name in REGISTRY_FUZZ_IDS) it may be steered onto.
_STEERED = {"network_id": ("vnsw", "wnu"), "organisation_id": ("cbo", "other_cbo", "vnsw", "wnu"),
            "body_id": ("body",), "election_id": ("election",), "nomination_id": ("nomination",)}


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    for name, value in list((case.path_parameters or {}).items()):
        choices = _STEERED.get(name)
        # Public ids by their letters; an integer (a negative case's) by its value.
        number = value if type(value) is int else sum(map(ord, value)) if isinstance(value, str) else -1
        if choices and 0 <= number <= MAX_ID and number % 2 == 0:
            case.path_parameters[name] = _IDS[choices[(number // 2) % len(choices)]]
    if case.method.upper() == "DELETE" and _OWN_TOKEN and (case.path_parameters or {}).get("token_id") == _OWN_TOKEN:
        case.path_parameters["token_id"] = NO_TOKEN  # a 404 instead
