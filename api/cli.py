"""The `registry` command: database upgrades, seeds, tokens, network summaries and the contact keys.

Each command opens one session and commits once at the end, like a request does; the session
seals and opens contacts with the app's key file, as a request's does.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import FlaskGroup
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from api import database, operations
from api.app import create_app
from api.coverage import area_tally
from api.i18n import template_headers
from registry import (areas, contact_keys, errors, governance_directory, migrate, organisations, public_ids, tokens,
                      web_sessions)
from registry.db import for_writing, make_engine, make_sessionmaker, run_committed
from registry.elections import phases, publication, turnout
from registry.elections.ballot_keys import BallotKeyFolder, use_ballot_keys
from registry.elections.methods import Method
from registry.elections.models import Election, ElectionPhase
from registry.elections.phases import elections_of
from registry.elections.results import format_result, published_result
from registry.governance import GoverningBody
from registry.sealing import ContactKeysError, use_keys
from registry.organisations import Organisation
from registry.permissions import Actor, Role
from registry.public_ids import Row
from registry.summaries import network_summary
from registry.tokens import AccessToken

CLI_ACTOR = Actor.system("command line")


@click.group(cls=FlaskGroup, create_app=lambda: create_app(), add_default_commands=True)
def main() -> None:
    """Membership registry for networks of sex-worker-led organisations."""


for command in (operations.backup, operations.restore, operations.doctor):
    main.add_command(command)


@contextmanager
def unit_of_work(*, reads_only: bool = False) -> Iterator[Session]:
    """One transaction for the command, committed at its end; one that may write takes SQLite's
    write lock as it begins (registry.db.for_writing), as the server's writing requests do."""
    config = current_app.config
    engine = make_engine(config["DATABASE_URL"], lock_timeout=config["DATABASE_LOCK_TIMEOUT"])
    session = use_ballot_keys(use_keys(make_sessionmaker(engine if reads_only else for_writing(engine))(),
                                       database.contact_keys(current_app)),
                              BallotKeyFolder(config["ELECTION_KEYS_DIR"]))
    try:
        yield session
        session.commit()
        run_committed(session, engine)
    except (errors.RegistryError, ContactKeysError) as refused:
        session.rollback()
        raise click.ClickException(getattr(refused, "message", str(refused))) from None
    finally:
        session.close()
        engine.dispose()


def find_row(session: Session, model: type[Row], ref: str, what: str) -> Row:
    """A body, an election or a token by its public id, or by the number it had before public ids."""
    found = public_ids.by_reference(session, model, ref)
    if found is None:
        raise click.ClickException(f"no {what} {ref!r}")
    return found


def _election(session: Session, ref: str) -> Election:
    return find_row(session, Election, ref, "election")


def find_organisation(session: Session, ref: str) -> Organisation:
    """An organisation by id, acronym or exact name (real organisations before samples)."""
    found = organisations.find_by_reference(session, ref)
    if found is None:
        raise click.ClickException(f"no organisation {ref!r}")
    return found


@main.group()
def db() -> None:
    """Create or upgrade the database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create the database or bring it to the newest schema (Alembic)."""
    url = current_app.config["DATABASE_URL"]
    keys = database.contact_keys(current_app)
    try:
        migrate.upgrade(url, keys=keys.load_or_create)  # asked for only if there are contacts to seal
    except ContactKeysError as refused:
        raise click.ClickException(str(refused)) from None
    click.echo(f"database is at the newest schema ({make_url(url).render_as_string()})")
    if keys.path.exists():
        click.echo(f"contacts are sealed with the keys in {keys.path}: back that file up, apart from the "
                   "database; without it no contact can be read")


@main.command()
@click.option("--sample/--no-sample", default=True, show_default=True,
              help="Also load the clearly labelled sample network.")
def seed(sample: bool) -> None:
    """Load boundary sets, vocabularies, the seed organisations and the sample network."""
    from seeds.load import load_all

    bars: dict[str, object] = {}

    def progress(step: str, done: int, total: int) -> None:
        bar = bars.get(step)
        if bar is None:
            bar = bars[step] = click.progressbar(length=total, label=f"{step:<16}", show_pos=True)
            bar.__enter__()  # type: ignore[attr-defined]
        bar.update(1)  # type: ignore[attr-defined]
        if done == total:
            bar.__exit__(None, None, None)  # type: ignore[attr-defined]

    with unit_of_work() as session:
        report = load_all(session, CLI_ACTOR, sample=sample, progress=progress)
    for line in report.lines():
        click.echo(line)


@main.group()
def token() -> None:
    """Issue, list and revoke access tokens."""


@token.command("create")
@click.option("--role", type=click.Choice([r.value for r in (Role.SECRETARIAT, Role.EDITOR, Role.BOARD)]),
              required=True)
@click.option("--for", "scope", required=True, metavar="ORG",
              help="Network (secretariat, board) or organisation (editor): id, acronym or name.")
@click.option("--label", required=True, help="Who the token is for, e.g. 'VNSW secretariat laptop'.")
@click.option("--expires-in-days", type=click.IntRange(1, 3650), default=None)
def token_create(role: str, scope: str, label: str, expires_in_days: int | None) -> None:
    """Create a token; the secret is printed once and never stored."""
    expires = None
    if expires_in_days:
        expires = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=expires_in_days)
    with unit_of_work() as session:
        row, secret = tokens.issue_token(session, CLI_ACTOR, role, find_organisation(session, scope),
                                         label=label, expires_at=expires)
        click.echo(f"token {row.public_id} for {row.actor().label}")
    click.echo(secret)


@token.command("list")
def token_list() -> None:
    """Tokens with their scope and state (never their secrets)."""
    with unit_of_work(reads_only=True) as session:
        now = dt.datetime.now(dt.timezone.utc)
        for row in tokens.every_token(session, CLI_ACTOR):
            state = "revoked" if row.revoked_at else "expired" if not row.usable(now) else "active"
            click.echo(f"{row.public_id}  {row.hint}…  {state:<8} {row.actor().label}")


@token.command("revoke")
@click.argument("token_ref")
def token_revoke(token_ref: str) -> None:
    """Revoke a token by its public id (or the number it had before public ids)."""
    with unit_of_work() as session:
        row = find_row(session, AccessToken, token_ref, "token")
        tokens.revoke_token(session, CLI_ACTOR, row)
        click.echo(f"revoked token {row.public_id}")


@main.group()
def sessions() -> None:
    """People's web sessions (what a sign-in code is exchanged for)."""


@sessions.command("sweep")
@click.option("--ended-days-ago", type=click.IntRange(0, 3650), default=30, show_default=True,
              help="Keep sessions that ended more recently (the console shows when a code last signed in).")
def sessions_sweep(ended_days_ago: int) -> None:
    """Delete sessions that ended (expired, signed out or revoked) that many days ago."""
    with unit_of_work() as session:
        swept = web_sessions.sweep_sessions(session, ended_before=dt.timedelta(days=ended_days_ago))
    click.echo(f"deleted {swept} ended session(s)")


@main.group()
def network() -> None:
    """Look at a network."""


@network.command("summary")
@click.argument("ref")
@click.option("--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="As of this date (YYYY-MM-DD); default: today.")
def network_summary_command(ref: str, on: dt.datetime | None) -> None:
    """Members, areas and priority areas of a network, now or on a date."""
    with unit_of_work(reads_only=True) as session:
        organisation = find_organisation(session, ref)
        if not organisation.is_network:
            raise click.ClickException(f"{organisation.name} is not a network")
        summary = network_summary(session, organisation, on.date() if on else None)
        when = on.date().isoformat() if on else "today"
        click.echo(f"{organisation.name} ({organisation.acronym or organisation.public_id}), {when}")
        click.echo(f"  {summary.headline(area_tally(session, organisation, on.date() if on else None))}")
        if summary.sample_members:
            click.echo(f"  of which SAMPLE (not real) organisations: {summary.sample_members}")
        click.echo(f"  member networks: {summary.member_networks}")
        click.echo(f"  areas: {', '.join(summary.areas) or '-'}")
        click.echo(f"  memberships by status: {summary.statuses or '-'}")
        click.echo("  active members per priority area:")
        for code, count in summary.priority_areas.items():
            click.echo(f"    {count:>4}  {code}")


@main.group()
def boundaries() -> None:
    """Import and list boundary sets (the areas organisations serve)."""


@boundaries.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--key", "set_key", required=True, help="A short id for the set, e.g. kh-admin2-2014.")
@click.option("--title", required=True)
@click.option("--key-field", required=True, help="The field holding each area's code.")
@click.option("--name-field", required=True)
@click.option("--level", type=click.IntRange(0, 3), required=True, help="0 country, 1 province, 2 district.")
@click.option("--country", default=None, help="ISO 3166-1 alpha-2, when the set covers one country.")
@click.option("--code-prefix", default=None, help='Put before each code, e.g. "KH-" for 1201 → KH-1201.')
@click.option("--parent-field", default=None, help="The field holding the parent area's code.")
@click.option("--valid-from", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
@click.option("--valid-to", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
@click.option("--attribution", required=True, help="Shown on every map drawn from this set.")
@click.option("--licence", default="", help="e.g. CC BY 4.0")
def boundaries_import(path: str, set_key: str, title: str, key_field: str, name_field: str, level: int,
                      country: str | None, code_prefix: str | None, parent_field: str | None,
                      valid_from: dt.datetime | None, valid_to: dt.datetime | None,
                      attribution: str, licence: str) -> None:
    """Validate a boundary file (GeoJSON, GeoPackage, zipped Shapefile) and store it as a set."""
    spec = {"key": set_key, "title": title, "level": level, "country": country,
            "valid_from": valid_from.date() if valid_from else None,
            "valid_to": valid_to.date() if valid_to else None,
            "attribution": attribution, "licence": licence}
    reader = {"key_field": key_field, "name_field": name_field, "code_prefix": code_prefix,
              "parent_field": parent_field}
    with unit_of_work() as session:
        _import_file(session, Path(path), spec, reader)


@boundaries.command("import-known")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
def boundaries_import_known(directory: str) -> None:
    """Import the licensed boundary files found in DIRECTORY (e.g. ../shared/geo), once each.

    These files (geoBoundaries, CC BY / ODbL) are never shipped with the registry; how to read
    each is described in seeds/licensed_boundaries.yaml."""
    from seeds.boundaries import licensed_sets
    from seeds.load import read_yaml

    with unit_of_work() as session:
        for spec, path, reader in licensed_sets(Path(directory), read_yaml("licensed_boundaries.yaml")):
            if areas.boundary_set(session, spec["key"]) is not None:
                click.echo(f"{spec['key']}: already imported")
                continue
            _import_file(session, path, {**spec, "valid_from": None, "valid_to": None}, reader)


def _import_file(session: Session, path: Path, spec: dict[str, Any], reader: dict[str, Any]) -> None:
    """Validate with geo/, then store through the registry; a refusal lists every reason."""
    from geo.boundaries import read_boundary_file
    from geo.errors import BoundaryError
    from seeds.boundaries import area_records

    try:
        read = read_boundary_file(path, level=spec["level"], country=spec["country"],
                                  valid_from=spec["valid_from"], valid_to=spec["valid_to"],
                                  attribution=spec["attribution"], licence=spec["licence"],
                                  set_id=spec["key"], title=spec["title"], **reader)
    except BoundaryError as refused:
        raise click.ClickException(f"{path.name} was refused:\n  " + "\n  ".join(refused.reasons)) from None
    for repair in read.repairs:
        click.echo(f"repaired: {repair}")
    areas.import_boundary_set(session, CLI_ACTOR, areas=area_records(read), **spec)
    click.echo(f"{spec['key']}: imported {len(read.areas)} {read.area_noun}")


@boundaries.command("list")
def boundaries_list() -> None:
    """The boundary sets the registry knows."""
    with unit_of_work(reads_only=True) as session:
        for row in areas.boundary_sets(session):
            span = f"{row.valid_from or '…'} to {row.valid_to or '…'}"
            click.echo(f"{row.key:<28} level {row.level}  {row.country or '--'}  {span:<26} {row.title}")


@main.command("map")
@click.argument("ref")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), required=True,
              help="The HTML file to write; Leaflet is copied beside it into vendor/.")
@click.option("--level", type=click.IntRange(0, 2), default=None,
              help="0 countries, 1 provinces (the default), 2 districts.")
@click.option("--set", "set_key", default=None, help="A boundary set key (default: the one valid on the date).")
@click.option("--on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Default: today.")
@click.option("--compare", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Also draw this earlier date, as a layer to switch to (growth since then).")
@click.option("--public", is_flag=True, help="The public map: only listed organisations, no names, province level at most.")
@click.option("--reach", is_flag=True,
              help="The public reach map of a network that publishes it: every member, today, small counts withheld.")
@click.option("--priority-area", default=None)
@click.option("--population", default=None)
@click.option("--service", default=None)
def map_command(ref: str, out: str, level: int | None, set_key: str | None, on: dt.datetime | None,
                compare: dt.datetime | None, public: bool, reach: bool, priority_area: str | None,
                population: str | None, service: str | None) -> None:
    """Render a network's coverage map to an HTML file that works offline."""
    from api.coverage import MapRequest, configured_tiles, network_map_html
    from geo.coverage import View
    from geo.errors import GeoError
    from geo.offline import install_assets, required_assets

    if public and reach:
        raise click.UsageError("choose --public (listed organisations) or --reach, not both")
    view = View.REACH if reach else View.LISTED if public else View.INTERNAL
    request = MapRequest(level=level, set_key=set_key, on=on.date() if on else None,
                         compare_on=compare.date() if compare else None, view=view,
                         threshold=current_app.config["PUBLIC_COUNT_THRESHOLD"],
                         priority_area=priority_area, population=population, service=service)
    with unit_of_work(reads_only=True) as session:
        network_row = find_organisation(session, ref)
        try:
            html = network_map_html(session, network_row, request, static_prefix="vendor/",
                                    tiles=configured_tiles(current_app.config))
        except GeoError as refused:
            raise click.ClickException("; ".join(refused.reasons)) from None
    target = Path(out)
    target.write_text(html, encoding="utf-8")
    install_assets(target.parent / "vendor", required_assets(html, "vendor/"))
    click.echo(f"wrote {target} ({len(html.encode()) // 1024} KB)")


@main.group()
def members() -> None:
    """Import and export a network's members as spreadsheets."""


@members.command("import")
@click.argument("ref")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--apply", "apply_", is_flag=True, help="Keep the changes (default: a dry run that writes nothing).")
def members_import(ref: str, path: str, apply_: bool) -> None:
    """Import members of network REF from a CSV (UTF-8) or XLSX file; all rows or none."""
    from registry.member_import import import_members, read_table

    data = Path(path).read_bytes()
    with unit_of_work() as session:
        network_row = find_organisation(session, ref)
        table = read_table(Path(path).name, data)
        with click.progressbar(length=len(table.rows), label="rows") as bar:
            report = import_members(session, CLI_ACTOR, network_row, table, apply=apply_,
                                    progress=lambda _row: bar.update(1), headers=template_headers())
        for warning in report.warnings:
            click.echo(f"warning: {warning}")
        for row in report.rows:
            if row.outcome == "error":
                click.echo(f"row {row.row} ({row.name or 'no name'}): {'; '.join(row.messages)}")
        counts = ", ".join(f"{n} {k}" for k, n in report.counts().items())
        if report.errors:
            session.rollback()
            raise click.ClickException(f"nothing was imported ({counts})")
        click.echo(f"{'imported' if report.applied else 'dry run, nothing written'}: {counts}")


@members.command("export")
@click.argument("ref")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), required=True,
              help="A .csv or .xlsx file.")
@click.option("--hxl", is_flag=True, help="Add an HXL hashtag row under the headers (CSV).")
@click.option("--plain", is_flag=True, help="No byte-order mark (CSV); Excel then misreads non-Latin text.")
@click.option("--on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Members on this date.")
def members_export(ref: str, out: str, hxl: bool, plain: bool, on: dt.datetime | None) -> None:
    """Export network REF's active members in the import template's columns."""
    from registry.member_export import member_rows, to_csv, to_xlsx

    with unit_of_work() as session:
        rows = member_rows(session, CLI_ACTOR, find_organisation(session, ref), on.date() if on else None)
    data = to_xlsx(rows) if out.lower().endswith(".xlsx") else to_csv(rows, hxl=hxl, bom=not plain)
    Path(out).write_bytes(data)
    click.echo(f"wrote {len(rows)} members to {out}")


@main.group()
def contacts() -> None:
    """The keys that seal contacts: which are in use, rotate, drop an old one."""


@contacts.command("keys")
def contacts_keys() -> None:
    """Every key in the key file or named by a stored contact, with how many values use it."""
    key_file = database.contact_keys(current_app)
    with unit_of_work(reads_only=True) as session:
        uses = contact_keys.keys_in_use(session, key_file.ring(session))
    click.echo(f"key file: {key_file.path}")
    for use in uses:
        state = "current" if use.current else "old" if use.in_ring else "MISSING from the key file"
        click.echo(f"  {use.purpose:<8} {use.key_id}  {state:<26} {use.values} contact value(s)")
    if any(not use.in_ring and use.values for use in uses):
        raise click.ClickException("some contacts use a key the key file does not hold: they cannot be "
                                   "opened until that key is restored")


@contacts.command("rotate-key")
@click.option("--index-key", is_flag=True, help="Also make a new key for the blind index, and recompute it.")
def contacts_rotate_key(index_key: bool) -> None:
    """Make a new current key and reseal every contact under it, in one transaction.

    The old key stays in the key file, so every contact still opens whatever happens; once this
    has committed, remove it with `registry contacts drop-key KEY_ID`."""
    key_file = database.contact_keys(current_app)
    with unit_of_work() as session:
        rotation = contact_keys.rotate(session, CLI_ACTOR, key_file, index_key=index_key)
    click.echo(f"resealed {rotation.resealed} contact value(s) under key {rotation.key_id}")
    if rotation.index_key_id:
        click.echo(f"recomputed their blind index under key {rotation.index_key_id}")
    for key_id in rotation.retired:
        click.echo(f"key {key_id} is no longer used: registry contacts drop-key {key_id}")


@contacts.command("drop-key")
@click.argument("key_id")
def contacts_drop_key(key_id: str) -> None:
    """Remove an old key from the key file; refused while any contact value uses it."""
    key_file = database.contact_keys(current_app)
    with unit_of_work(reads_only=True) as session:
        contact_keys.drop_key(session, key_file, key_id)
    click.echo(f"dropped key {key_id} from {key_file.path}")


@main.group()
def election() -> None:
    """Look at a network's elections, move them through their phases, publish them and verify a
    published one."""


@election.command("list")
@click.argument("ref")
def election_list(ref: str) -> None:
    """A network's elections, newest first."""
    with unit_of_work(reads_only=True) as session:
        for row in elections_of(session, CLI_ACTOR, find_organisation(session, ref)):
            click.echo(f"{row.public_id}  {row.phase.value:<18} {row.title}")


@election.command("result")
@click.argument("election_ref")
def election_result(election_ref: str) -> None:
    """Print an election's result with every round of the count."""
    with unit_of_work(reads_only=True) as session:
        click.echo(format_result(published_result(session, CLI_ACTOR, _election(session, election_ref))),
                   nl=False)


@election.command("create")
@click.argument("network_ref")
@click.option("--body", "body_id", required=True, help="The governing body's public id (or former number).")
@click.option("--title", required=True)
@click.option("--method", required=True, type=click.Choice([m.value for m in Method]))
@click.option("--roll-cutoff", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Active members on this day are on the roll.")
@click.option("--term-class", type=click.IntRange(1, 100), help="The class of seats up for election (default: all).")
@click.option("--quorum", "quorum_percent", default=0, show_default=True, type=click.IntRange(0, 100),
              help="Minimum turnout, as a percentage of the roll.")
@click.option("--sex-worker-led-only", is_flag=True)
def election_create(network_ref: str, body_id: str, title: str, method: str, roll_cutoff: dt.datetime,
                    term_class: int | None, quorum_percent: int, sex_worker_led_only: bool) -> None:
    """Create a draft election for a body's seats."""
    with unit_of_work() as session:
        network = find_organisation(session, network_ref)
        body = governance_directory.find_body(session, CLI_ACTOR, network.public_id,
                                              find_row(session, GoverningBody, body_id, "governing body").public_id)
        election = phases.create_election(session, CLI_ACTOR, body, title=title, method=method,
                                          roll_cutoff=roll_cutoff.date(), term_class=term_class,
                                          quorum_percent=quorum_percent, sex_worker_led_only=sex_worker_led_only)
        click.echo(f"created election {election.public_id}: {election.title} ({election.phase.value})")


@election.command("move")
@click.argument("election_ref")
@click.argument("phase", type=click.Choice([p.value for p in ElectionPhase]))
@click.option("--on", type=click.DateTime(formats=["%Y-%m-%d"]), help="When it took effect (default: today).")
@click.option("--reason", default="", help="Why (required to cancel).")
def election_move(election_ref: str, phase: str, on: dt.datetime | None, reason: str) -> None:
    """Move an election to its next phase (nominations_open, ..., voting_closed, tallied,
    certified), or cancel it. Opening voting makes the ballot key; counting opens the ballots
    with it and destroys it (run where the key folder is)."""
    with unit_of_work() as session:
        election = _election(session, election_ref)
        phases.transition(session, CLI_ACTOR, election, phase, on=on.date() if on else None, reason=reason)
        click.echo(f"{election.title}: {election.phase.value}")
        if election.phase in (ElectionPhase.VOTING_CLOSED, ElectionPhase.TALLIED):
            _quorum_missed(turnout.live_turnout(session, CLI_ACTOR, election), election.public_id)


@election.command("turnout")
@click.argument("election_ref")
def election_turnout(election_ref: str) -> None:
    """Turnout so far against the quorum, and the organisations that have not voted."""
    with unit_of_work(reads_only=True) as session:
        election = _election(session, election_ref)
        live = turnout.live_turnout(session, CLI_ACTOR, election)
        click.echo(f"{live.voted} of {live.roll} on the roll have voted; quorum {live.quorum_percent}%: "
                   + ("met" if live.quorum_met else f"NOT met, {live.short_by} more needed")
                   + (f"; voting closes on {live.voting_closes_on.isoformat()}" if live.voting_closes_on else ""))
        for organisation in live.not_voted:
            click.echo(f"  not voted: {organisation.name}")
        _quorum_missed(live, election.public_id)


def _quorum_missed(live: turnout.LiveTurnout, election_id: str) -> None:
    """What may be done about a quorum missed, as commands to type."""
    if not live.options:
        return
    ways = {turnout.QuorumOption.EXTEND_VOTING: f"extend voting: registry election extend {election_id} "
                                                "--until YYYY-MM-DD --reason ...",
            turnout.QuorumOption.CANCEL: f"cancel: registry election move {election_id} cancelled --reason ..."}
    click.echo(f"The quorum of {live.quorum_percent}% is missed ({live.voted} of {live.roll} voted, "
               f"{live.short_by} more needed); certification will be refused. "
               + " or ".join(ways[o] for o in live.options))


@election.command("extend")
@click.argument("election_ref")
@click.option("--until", "until", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Voting stays open until this day.")
@click.option("--reason", required=True, help="Why (recorded in the audit log).")
def election_extend(election_ref: str, until: dt.datetime, reason: str) -> None:
    """Extend voting while it is open, or open it again if it closed short of its quorum
    (not once counted)."""
    with unit_of_work() as session:
        election = turnout.extend_voting(session, CLI_ACTOR, _election(session, election_ref),
                                         until=until.date(), reason=reason)
        click.echo(f"voting in {election.title} now closes on {until.date().isoformat()}")


@election.command("publish")
@click.argument("election_ref")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), default="-", show_default=True,
              help="Write the published election (JSON) here; - is standard output.")
def election_publish(election_ref: str, out: str) -> None:
    """Write the published election: every counted ballot, the ballot list's root and the result."""
    with unit_of_work(reads_only=True) as session:
        data = publication.published_election(session, CLI_ACTOR, _election(session, election_ref))
    with click.open_file(out, "w", encoding="utf-8") as target:
        json.dump(data, target, ensure_ascii=False, indent=1)
        target.write("\n")


@election.command("verify", with_appcontext=False)
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def election_verify(path: str) -> None:
    """Recompute a published election's ballot list root and recount it; exit 1 on any difference.

    Needs only the file (from `registry election publish` or the API's /published)."""
    _report(publication.verify(_published_file(path)),
            "verified: the ballot list gives its root and a recount gives the published result")


@election.command("check-ballot", with_appcontext=False)
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--receipt", required=True, help="The receipt shown when the ballot was cast.")
@click.option("--content", required=True, help="The ballot's content as shown with the receipt.")
def election_check_ballot(path: str, receipt: str, content: str) -> None:
    """A voter's check: its ballot is in the published list with the content it cast; exit 1 if not."""
    _report(publication.check_ballot(_published_file(path), receipt, content),
            "your ballot is in the published list as you cast it")


def _published_file(path: str) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as unreadable:
        raise click.ClickException(f"{path} is not a readable JSON file: {unreadable}") from None
    if not isinstance(data, dict):
        raise click.ClickException(f"{path} is not a published election")
    return data


def _report(problems: list[str], verified: str) -> None:
    for problem in problems:
        click.echo(f"FAILED: {problem}", err=True)
    if problems:
        raise SystemExit(1)
    click.echo(verified)
