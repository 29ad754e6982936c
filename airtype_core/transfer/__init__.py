"""Transfer: files into the database and back out (`import`, `export`), over `formats` and `storage`.

`importer.import_file` streams a file's records into storage in batches (duplicates
skipped, each writer a participant, optionally predicted by the active model);
`exporter.export_samples` streams a filter's samples out in a format. Imports
`formats`, `storage` and `recognition`; never `learning`.
"""
