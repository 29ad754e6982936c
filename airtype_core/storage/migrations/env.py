"""Alembic environment for AirType.

Migrations are run by `airtype_core.storage.store.upgrade_database`, which hands us
a connection already inside a locked transaction (see there). No logging
configuration happens here, on purpose: `logging.config.fileConfig` would
replace the application's logging setup.
"""

from alembic import context

from airtype_core.storage.tables import Base

connection = context.config.attributes.get("connection")

if context.is_offline_mode():  # `--sql`: print the SQL instead of running it
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=Base.metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()
elif connection is None:
    raise RuntimeError("run AirType migrations with airtype_core.storage.store.upgrade_database(engine)")
else:
    # render_as_batch: SQLite can only change a column by copying its table.
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
