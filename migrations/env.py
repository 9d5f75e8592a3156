"""Alembic environment: runs migrations on the connection or URL the registry hands it."""

from alembic import context
from sqlalchemy import pool

from registry.all_models import metadata
from registry.db import make_engine
from registry.organisations.name_search import outside_models

config = context.config


def run_migrations(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters by copying tables
        compare_type=True,
        include_name=outside_models,  # the name search index: migration 0015 alone describes it
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            _without_sqlite_cascades(connection)
        else:
            run_migrations(connection)
    engine.dispose()


def _without_sqlite_cascades(connection) -> None:  # type: ignore[no-untyped-def]
    """Run the migrations with SQLite's foreign keys off. SQLite alters a table by copying it and
    dropping the original, and with foreign keys on, dropping `organisations` would cascade to
    every contact, membership and term row that refers to it. The pragma only takes effect
    outside a transaction, so it is set on the driver's connection before the migration's own
    transaction begins; the references are checked once the copies are in place."""
    driver = connection.connection.driver_connection
    driver.execute("PRAGMA foreign_keys=OFF")
    try:
        run_migrations(connection)
        broken = driver.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"the migration left rows referring to rows that do not exist: {broken[:5]}")
    finally:
        driver.execute("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run against a database")
run_online()
