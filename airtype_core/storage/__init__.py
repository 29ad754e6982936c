"""Storage: every answer, participant and training run, in SQL.

`store.Storage` is the facade the app and the command line use (one method per
thing the app does); `database` owns the connection and turns driver errors
into ones a person can act on; `tables` declares the SQLAlchemy tables and runs
the Alembic `migrations`; `records` holds the typed values that go in and come
out, and their checks. Imports `recognition` (for `Ink` and the charset), never
`learning`.
"""
