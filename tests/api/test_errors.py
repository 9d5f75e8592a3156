"""One error shape for every failure, and no input that reaches a 500."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import psycopg
import pytest
from flask import Flask, request
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    InvalidRequestError,
    OperationalError,
    ProgrammingError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from api.app import create_app
from api import i18n
from api.errors import register
from api.extensions import Blueprint
from tests.hostile import row_counts

API = "/api/v1"
SHAPE = {"status", "error", "message"}


def assert_shape(response, status):
    assert response.status_code == status
    assert response.is_json
    assert SHAPE <= set(response.json) and response.json["status"] == status


def test_not_found(client, world):
    assert_shape(client.get(f"{API}/nowhere"), 404)
    assert_shape(client.get(f"{API}/organisations/999999"), 404)


@pytest.mark.parametrize("path", ["/organisations/99999999999999999999", "/organisations/-1",
                                  "/networks/2147483648/members", "/tokens/1e3"])
def test_ids_beyond_the_database_s_integers_are_not_found(client, world, path):
    # Signed in: tokens are for secretariats only, so an anonymous caller is asked to sign in first.
    assert_shape(client.get(API + path, headers=world.roles["secretariat"]), 404)


MISSING = 2147483646  # a valid id that names nothing


@pytest.mark.parametrize(("role", "path", "body", "field"), [
    ("secretariat", "/organisations", {"network_id": MISSING, "kind": "community_organisation", "name": "X",
                                       "country": "VN"}, "network_id"),
    ("secretariat", "/networks/{vnsw}/members", {"organisation_id": MISSING}, "organisation_id"),
    ("secretariat", "/tokens", {"role": "editor", "scope_id": MISSING, "label": "x"}, "scope_id"),
    ("secretariat", "/networks/{vnsw}/elections", {"body_id": MISSING, "title": "E", "method": "scottish_stv",
                                                   "roll_cutoff": "2024-01-01"}, "body_id"),
])
def test_an_id_in_the_body_that_names_nothing_is_unprocessable_not_a_missing_url(client, world, role, path, body,
                                                                                  field):
    # 404 would say the URL was not found: a client that has just created it would think it gone.
    response = client.post(API + path.format(vnsw=world.vnsw.public_id), json=body, headers=world.roles[role])
    assert_shape(response, 422)
    assert field in response.json["fields"]


def test_a_network_in_the_url_that_names_nothing_is_still_not_found(client, world):
    response = client.post(f"{API}/networks/2147483646/elections", headers=world.roles["secretariat"], json={
        "body_id": "ZZZZZZZZZZZZ", "title": "E", "method": "scottish_stv", "roll_cutoff": "2024-01-01"})
    assert_shape(response, 404)


@pytest.mark.parametrize(("method", "path", "body"), [
    ("get", "/tokens/2147483646", None),  # no such token
    ("delete", "/organisations/{cbo}/contacts/2147483646", None),  # no If-Match either
    ("patch", "/organisations/{cbo}", {"name": ""}),  # an invalid body, no If-Match
    ("post", "/networks/2147483646/elections", {}),  # no such network, nothing valid
])
def test_without_a_token_an_operation_that_needs_one_says_sign_in_first(client, world, method, path, body):
    # Not 404, 422 or 428: those would answer what only a signed-in caller may ask.
    response = getattr(client, method)(API + path.format(cbo=world.cbo.public_id), json=body)
    assert_shape(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_stale_or_missing_version_says_where_the_etag_comes_from(client, world):
    """A person who hits 412 or 428 is told what to do next, not the HTTP wording."""
    where = f"{API}/organisations/{world.cbo.public_id}"
    editor = world.roles["own_editor"]
    missing = client.patch(where, headers=editor, json={"acronym": "NHN"})
    assert missing.status_code == 428
    assert "If-Match" in missing.json["message"] and "ETag from your last GET" in missing.json["message"]
    stale = client.patch(where, headers={**editor, "If-Match": '"organisations-0-v0"'}, json={"acronym": "NHN"})
    assert stale.status_code == 412
    assert "GET it again for its new ETag" in stale.json["message"]
    assert "precondition" not in stale.json["message"].lower()


def test_method_not_allowed_says_what_is(client, world):
    response = client.delete(f"{API}/organisations")
    assert_shape(response, 405)
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_validation_names_each_field(client, world):
    response = client.post(f"{API}/organisations", headers=world.roles["secretariat"],
                           json={"network_id": world.vnsw.public_id, "kind": "club", "name": "", "drop_in_centres": 2.5})
    assert_shape(response, 422)
    assert set(response.json["fields"]) == {"kind", "name", "drop_in_centres"}


def test_a_body_that_is_not_json_is_refused(client, world):
    response = client.post(f"{API}/organisations", headers={**world.roles["secretariat"],
                                                            "Content-Type": "application/json"}, data="{")
    assert response.status_code in (400, 422)
    assert SHAPE <= set(response.json)


def test_domain_refusals_after_validation_name_fields_too(client, world):
    response = client.post(f"{API}/organisations", headers=world.roles["secretariat"],
                           json={"network_id": world.vnsw.public_id, "kind": "community_organisation", "name": "X",
                                 "country": "VN", "areas_served": ["VN-XX"]})
    assert_shape(response, 422)
    assert "areas_served" in response.json["fields"]


def _bare_app() -> Flask:
    app = Flask(__name__)
    i18n.init_app(app)  # the messages are in the caller's language
    register(app)

    @app.get("/integrity")
    def integrity():
        raise IntegrityError("INSERT", {}, Exception("duplicate key"))

    @app.get("/crash")
    def crash():
        raise RuntimeError("boom")

    return app


def _database_error(cause: Exception, wrapper: type[DBAPIError] = OperationalError, **kw) -> DBAPIError:
    return wrapper("SELECT 1", {}, cause, **kw)


def _sqlite_error(tmp_path, statement: str) -> sqlite3.Error:
    """A real sqlite3 error (its code is set by SQLite only): `statement` run while another
    connection holds the write lock."""
    path = tmp_path / "locked.sqlite"
    with closing(sqlite3.connect(path, isolation_level=None)) as holder, \
            closing(sqlite3.connect(path, isolation_level=None, timeout=0)) as waiter:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(sqlite3.Error) as raised:
            waiter.execute(statement)
    return raised.value


UNAVAILABLE = {
    "refused": lambda _: _database_error(psycopg.OperationalError("connection refused")),
    "lost": lambda _: _database_error(psycopg.OperationalError("server closed the connection unexpectedly")),
    "invalidated": lambda _: _database_error(psycopg.InterfaceError("the connection is closed"),
                                             InterfaceError, connection_invalidated=True),
    "shutting_down": lambda _: _database_error(psycopg.errors.AdminShutdown("terminating connection")),
    "lock_timeout": lambda _: _database_error(psycopg.errors.LockNotAvailable("canceling statement")),
    "deadlock": lambda _: _database_error(psycopg.errors.DeadlockDetected("deadlock detected")),
    "pool_exhausted": lambda _: PoolTimeout("QueuePool limit reached"),
    "sqlite_locked": lambda tmp_path: _database_error(_sqlite_error(tmp_path, "BEGIN IMMEDIATE")),
}
BUGS = {
    "no_such_table": lambda _: _database_error(psycopg.errors.UndefinedTable("relation does not exist"),
                                               ProgrammingError),
    "syntax": lambda _: _database_error(psycopg.errors.SyntaxError("syntax error at or near"), ProgrammingError),
    "bad_value": lambda _: _database_error(psycopg.errors.InvalidTextRepresentation("invalid input"), DataError),
    # SQLite calls a statement it cannot parse an OperationalError too.
    "sqlite_syntax": lambda tmp_path: _database_error(_sqlite_error(tmp_path, "SELEC 1")),
    "not_a_dbapi_error": lambda _: InvalidRequestError("this Session's transaction has been rolled back"),
}


def _raising(error: Exception) -> Flask:
    app = _bare_app()

    @app.get("/database")
    def database():
        raise error

    return app


@pytest.mark.parametrize("error", UNAVAILABLE)
def test_a_database_that_cannot_serve_now_is_a_503_with_retry_after(tmp_path, error):
    response = _raising(UNAVAILABLE[error](tmp_path)).test_client().get("/database")
    assert_shape(response, 503)
    assert response.json["error"] == "service_unavailable"
    assert int(response.headers["Retry-After"]) > 0


@pytest.mark.parametrize("error", BUGS)
def test_a_database_error_that_is_a_bug_stays_a_500(tmp_path, error):
    response = _raising(BUGS[error](tmp_path)).test_client().get("/database")
    assert_shape(response, 500)
    assert "Retry-After" not in response.headers


class _CommitFails(Session):
    failure: Exception

    def commit(self) -> None:
        raise self.failure


@pytest.mark.parametrize(("failure", "status"), [
    (_database_error(psycopg.OperationalError("server closed the connection unexpectedly")), 503),
    (_database_error(psycopg.errors.UndefinedColumn("column does not exist"), ProgrammingError), 500),
])
def test_a_commit_the_database_cannot_take_now_is_a_503_and_a_bug_at_commit_a_500(session, failure, status):
    def failing_session() -> Session:
        request_session = _CommitFails(bind=session.bind, join_transaction_mode="create_savepoint")
        request_session.failure = failure
        return request_session

    app = create_app({"PROPAGATE_EXCEPTIONS": False}, sessions=failing_session)
    assert_shape(app.test_client().get(f"{API}/ready"), status)


def test_an_integrity_error_is_a_conflict_and_a_crash_keeps_the_shape():
    client = _bare_app().test_client()
    assert_shape(client.get("/integrity"), 409)
    crash = client.get("/crash")
    assert_shape(crash, 500)
    assert "boom" not in crash.get_data(as_text=True)


def test_a_route_without_an_access_rule_is_refused():
    blp = Blueprint("careless", __name__)
    with pytest.raises(TypeError, match="declares no access rule"):
        @blp.route("/careless")
        def careless():
            return "anyone?"


def _nested(opening: str, closing: str, depth: int, inner: str = "1") -> str:
    return opening * depth + inner + closing * depth


def _registration(world, **fields: str) -> str:
    """A registration body, as JSON text, with `fields` spliced in raw."""
    values = {"network_id": f'"{world.vnsw.public_id}"', "kind": '"community_organisation"', "name": '"Nhóm mới"',
              "country": '"VN"', **fields}
    return "{" + ", ".join(f'"{key}": {value}' for key, value in values.items()) + "}"


# Each body as the attack sent it, and the words the refusal says it in.
HOSTILE_JSON = {
    "an id of 4,300 digits": (lambda world: _registration(world, network_id="9" * 4300),
                              "an integer longer than 20 digits"),
    "an integer past Python's own limit": (lambda world: _registration(world, drop_in_centres="9" * 4301),
                                           "an integer longer than 20 digits"),
    "arrays nested 100,000 deep": (lambda world: _nested("[", "]", 100_000), "nests deeper than 32 levels"),
    "objects nested 50,000 deep": (lambda world: _nested('{"a": ', "}", 50_000), "nests deeper than 32 levels"),
    "nesting inside a field": (lambda world: _registration(world, languages=_nested("[", "]", 100_000, '"vi"')),
                               "nests deeper than 32 levels"),
    "NaN": (lambda world: _registration(world, drop_in_centres="NaN"), "NaN or Infinity"),
    "Infinity": (lambda world: _registration(world, drop_in_centres="-Infinity"), "NaN or Infinity"),
    "a number past any float": (lambda world: _registration(world, drop_in_centres="1e400"), "too large"),
}


@pytest.mark.parametrize("attack", HOSTILE_JSON)
@pytest.mark.parametrize("endpoint", ["register", "change a profile"])
def test_a_json_body_past_the_parser_s_bounds_is_a_400_that_writes_nothing(client, world, session, attack,
                                                                          endpoint):
    body, words = HOSTILE_JSON[attack]
    headers = {**world.roles["secretariat"], "Content-Type": "application/json"}
    if endpoint == "register":
        url = f"{API}/organisations"
    else:
        url = f"{API}/organisations/{world.cbo.public_id}"
        headers["If-Match"] = client.get(url, headers=headers).headers["ETag"]
    before = row_counts(session)
    response = (client.post if endpoint == "register" else client.patch)(url, data=body(world), headers=headers)
    assert_shape(response, 400)
    assert words in response.json["message"], response.json
    assert row_counts(session) == before


def test_a_json_body_within_the_bounds_is_read_as_before(client, world):
    headers = {**world.roles["secretariat"], "Content-Type": "application/json"}
    response = client.post(f"{API}/organisations", headers=headers,
                           data=_registration(world, drop_in_centres="12345678901234567890",
                                              name_translations=_nested('{"vi": ', "}", 1, '"Nhóm"')))
    # Twenty digits and an object inside the body are read (and the number is then refused as a value).
    assert_shape(response, 422)
    assert set(response.json["fields"]) == {"drop_in_centres"}


def test_flask_s_own_json_parser_is_bounded_too(session):
    # A bare route of a test's own: the web pages' form protection (where there is one) is off.
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False},
                     sessions=lambda: Session(bind=session.bind, join_transaction_mode="create_savepoint"))

    @app.post("/echo")
    def echo():
        return {"depth": len(str(request.get_json()))}

    client = app.test_client()
    assert client.post("/echo", json=[[["three levels"]]]).status_code == 200
    assert_shape(client.post("/echo", data=_nested("[", "]", 100_000), content_type="application/json"), 400)


def test_the_description_says_what_makes_a_body_a_bad_request(client):
    spec = client.get(f"{API}/openapi.json").json
    words = spec["components"]["responses"]["BAD_REQUEST"]["description"]
    assert "32 levels" in words and "20 digits" in words
