"""SQL statements and CPU per request, in process, for the pages whose cost should not grow with
the registry: the organisations list (anonymous, a national secretariat, APNSW's secretariat),
one organisation, a network's members (today and as of a date), one PATCH, and a national
network's board page, coverage JSON, internal map document, members.csv (as its secretariat)
and Popolo export.

Run against a database bench/dataset.py built, a SQLite file or a PostgreSQL URL (a copy is
used, migrated to the newest schema: the PATCH writes):

    REGISTRY_CONTACT_KEYS_FILE=KEYS .venv/bin/python -m bench.bench_requests DATABASE_FILE_OR_URL

Each request runs `repeats` times after `warm_up` runs of its own (a worker's first requests of
a kind run slower, some 5 to 7.6 ms for the anonymous list's second to sixth against 4.6 after,
while Python's adaptive interpreter and SQLAlchemy's statement cache settle: a serving worker is
past them); the figures are the median CPU time and the statements of the last run. The app
keeps no page: this is what building a page costs.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.engine import make_url

from api.app import create_app
from registry.db import make_engine, make_sessionmaker, scratch_database
from registry.migrate import upgrade
from registry.organisations.models import Organisation
from registry.access.permissions import Actor
from registry.access.sealing import use_keys
from registry.access.contact_keys import KeyFile
from registry.access.tokens import issue_token

OPERATOR = Actor.system("bench")
# Issue 13's budgets, in statements per request at any size (reported, never asserted).
BUDGETS = {"one PATCH, national secretariat": 12, "board page, its board": 40, "members.csv, secretariat": 20}


@contextmanager
def copy_of(database: Path | str) -> Iterator[str]:
    """A copy of the dataset for one run (the PATCH writes), brought to the newest schema: a
    SQLite file copied, or a PostgreSQL database cloned on its own server (TEMPLATE) and dropped."""
    if "://" in str(database) and not str(database).startswith("sqlite"):
        source = make_url(str(database))
        with scratch_database(source.set(database="postgres").render_as_string(hide_password=False),
                              "bench_requests", template=source.database) as url:
            upgrade(url)
            yield url
        return
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "bench.sqlite"
        shutil.copy(str(database).removeprefix("sqlite:///"), copy)
        url = f"sqlite:///{copy}"
        upgrade(url)
        yield url


WARM_UP = 5  # runs of each request before it is timed (until 7 December 2026, evening: one)


def run(database: Path | str, keys: Path, repeats: int = 5, *, warm_up: int = WARM_UP,
        show: bool = False) -> dict[str, dict[str, float]]:
    """`database`: a SQLite file or a PostgreSQL URL bench/dataset.py built (left as it is: the run
    works on a copy). `show`: print each request's statements as they run."""
    with copy_of(database) as url:
        engine = make_engine(url)
        with use_keys(make_sessionmaker(engine)(), KeyFile(keys)) as session:
            apnsw = session.scalar(select(Organisation).where(Organisation.acronym == "APNSW",
                                                              Organisation.is_sample.is_(False)))
            national = session.scalar(select(Organisation).where(Organisation.name.like("Sample bench network%"))
                                      .order_by(Organisation.id))
            member = session.scalar(select(Organisation).where(Organisation.registered_by_id == national.id)
                                    .order_by(Organisation.id))
            tokens = {who: issue_token(session, OPERATOR, "secretariat", network, label=f"bench {who}")[1]
                      for who, network in (("national", national), ("apnsw", apnsw))}
            board_code = issue_token(session, OPERATOR, "board", national, label="bench board")[1]
            # Callers name organisations by public id, never by integer key.
            ids = {"apnsw": apnsw.public_id, "national": national.public_id, "member": member.public_id}
            session.commit()
        counted = [0]

        def count(connection: Any, cursor: Any, statement: str, *_: Any) -> None:
            if statement in ("BEGIN", "BEGIN IMMEDIATE"):
                return  # SQLite's driver is sent it as a statement, PostgreSQL's is not: a boundary, as COMMIT
            counted[0] += 1
            if show:
                print("   ", " ".join(statement.split())[:200])

        event.listen(engine, "before_cursor_execute", count)
        os.environ.update(DATABASE_URL=url, REGISTRY_CONTACT_KEYS_FILE=str(keys),
                          REGISTRY_SECRET_KEY="bench")
        app = create_app({"DATABASE_URL": url},
                         sessions=lambda: make_sessionmaker(engine)())
        client = app.test_client()
        sign_in(client, board_code)  # the board page and the internal map are read in the board's web session
        bearer = {who: {"Authorization": f"Bearer {secret}"} for who, secret in tokens.items()}
        network = f"/api/v1/networks/{ids['national']}"
        lists = "/api/v1/organisations?page_size=50"
        cases: dict[str, tuple[str, str, dict[str, str], Any]] = {
            "list, anonymous": ("GET", lists, {}, None),
            "list, national secretariat": ("GET", lists, bearer["national"], None),
            "list, APNSW secretariat": ("GET", lists, bearer["apnsw"], None),
            "one organisation, APNSW secretariat": ("GET", f"/api/v1/organisations/{ids['member']}",
                                                    bearer["apnsw"], None),
            "network's members, anonymous": ("GET", f"/api/v1/networks/{ids['national']}/members?page_size=50",
                                             {}, None),
            "network's members on 2015-12-31, secretariat": (
                "GET", f"/api/v1/networks/{ids['national']}/members?page_size=50&on=2015-12-31",
                bearer["national"], None),
            "one PATCH, national secretariat": ("PATCH", f"/api/v1/organisations/{ids['member']}",
                                                bearer["national"], "acronym"),
            "board page, its board": ("GET", f"/dashboard/board/{ids['national']}", {}, None),
            "coverage JSON, secretariat": ("GET", f"{network}/coverage", bearer["national"], None),
            "map document, internal, its board": ("GET", f"/maps/networks/{ids['national']}.html?view=internal",
                                                  {}, None),
            "members.csv, secretariat": ("GET", f"{network}/members.csv", bearer["national"], None),
            "Popolo export, secretariat": ("GET", f"{network}/popolo.json", bearer["national"], None),
        }
        results: dict[str, dict[str, float]] = {}
        for label, (method, path, headers, patching) in cases.items():
            times: list[float] = []
            for n in range(warm_up + repeats):
                sent = dict(headers)
                body = None
                if patching:
                    etag = client.get(path, headers=headers).headers["ETag"]
                    sent["If-Match"] = etag
                    body = {patching: f"B{n:03d}"}
                counted[0] = 0
                if show:
                    print(label)
                started = time.process_time()
                response = client.open(path, method=method, headers=sent, json=body)
                spent = time.process_time() - started
                if response.status_code != 200:
                    raise RuntimeError(f"{label}: {response.status_code} {response.get_data(as_text=True)[:300]}")
                if n >= warm_up:
                    times.append(spent)
            results[label] = {"statements": counted[0], "cpu_ms": round(statistics.median(times) * 1000, 1)}
        engine.dispose()
        return results


def sign_in(client: Any, code: str) -> None:
    """Sign the test client in as a person would, on the sign-in form, with its CSRF token."""
    page = client.get("/sign-in").get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    if found is None:
        raise RuntimeError("the sign-in page has no form token")
    answer = client.post("/sign-in", data={"code": code, "csrf_token": found.group(1)})
    if answer.status_code not in (302, 303):
        raise RuntimeError(f"sign-in refused: {answer.status_code}")


if __name__ == "__main__":
    warm = next((int(a.split("=", 1)[1]) for a in sys.argv if a.startswith("--warm-up=")), WARM_UP)
    found = run(sys.argv[1], Path(os.environ["REGISTRY_CONTACT_KEYS_FILE"]), warm_up=warm, show="--show" in sys.argv)
    width = max(map(len, found))
    for label, figures in found.items():
        print(f"{label:<{width}}  {figures['statements']:>6} statements  {figures['cpu_ms']:>8} ms CPU")
