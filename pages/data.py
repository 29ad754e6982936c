"""Data page: browse the stored samples, fix or delete them (and undo that), import and export files.

Browse: filters, a table of one page (keyset paging: as fast on the last page of
100,000 samples as on the first) with a thumbnail per ink; select rows to open
one large or to relabel or delete them after a confirmation that says how many.
Changes: every relabel and delete, with its old values, and Undo. Import: upload,
preview, progress, summary. Export: the current filter as a download.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from airtype_core.recognition.charset import CLASSES
from airtype_core.storage.paging import SAMPLE_ORDERS
from airtype_core.storage.records import SampleFilter
from ui.data_view import (
    COLUMNS,
    KEYS,
    PER_PAGE,
    filters,
    next_page,
    page_key,
    previous_page,
    restart_paging,
    rows,
)
from ui.ink_svg import ink_thumbnail_svg
from ui.navigation import enter_through_app
from ui.resources import get_predictor, get_storage, user_errors

enter_through_app(__file__)

PENDING = "data-pending"  # session_state: (action, ids, label) waiting for confirmation
NOTICE = "data-notice"  # session_state: what the last action did
TABLE = "data-table-version"  # bumped to clear the table's selection
IMPORTED = "data-imported"  # session_state: (upload's file_id, ImportReport) of the last import
EXPORTED = "data-exported"  # session_state: ((format, filter, count), path of the temporary file) prepared last

st.title("Data")
try:
    storage = get_storage()
except user_errors() as exc:
    st.error(str(exc))
    st.stop()

browse, changes, importing, exporting = st.tabs(["Samples", "Changes", "Import", "Export"])


def _apply(action: str, ids: list[int], char: str | None) -> None:
    st.session_state.pop(PENDING, None)
    try:
        if action == "relabel":
            done = storage.relabel(ids, char)
            note = f"Relabeled {done} sample{'s' if done != 1 else ''} as `{char}`."
        else:
            done = storage.delete(ids)
            note = f"Deleted {done} sample{'s' if done != 1 else ''}."
    except user_errors() as exc:
        st.session_state[NOTICE] = ("error", f"Nothing changed: {exc}")
        return
    st.session_state[NOTICE] = ("success", note + " The Changes tab can undo it.")
    st.session_state[TABLE] = st.session_state.get(TABLE, 0) + 1
    restart_paging()


def _undo(edit_id: int) -> None:
    try:
        count = storage.undo_edit(edit_id)
        st.session_state[NOTICE] = ("success", f"Undone: {count} sample{'s' if count != 1 else ''} put back.")
    except user_errors() as exc:
        st.session_state[NOTICE] = ("error", str(exc))
    restart_paging()


def _show_notice() -> None:
    if NOTICE in st.session_state:
        kind, text = st.session_state[NOTICE]
        (st.success if kind == "success" else st.error)(text)


with browse:
    _show_notice()
    flt = filters(storage)
    order = st.radio(
        "Order",
        SAMPLE_ORDERS,
        horizontal=True,
        key="data-order",
        on_change=restart_paging,
        format_func=lambda o: f"{o} first".capitalize(),
    )
    key = page_key(flt)
    page = storage.page_samples(flt, after=key, per_page=PER_PAGE, order=order)
    names = {p.id: p.name for p in storage.list_participants()}
    number = len(st.session_state[KEYS])
    first = (number - 1) * PER_PAGE + 1
    st.caption(
        f"**{page.total}** samples match · showing {first}–{first + len(page.items) - 1} · {order} first"
        if page.items
        else "No sample matches these filters."
    )
    chosen = []
    if page.items or number > 1:  # nothing to show: no empty table, no paging, nothing to select
        event = st.dataframe(
            rows(page.items, names),
            column_config=COLUMNS,
            hide_index=True,
            on_select="rerun",
            selection_mode="multi-row",
            row_height=64,
            height=600,
            key=f"data-table-{st.session_state.get(TABLE, 0)}-{number}",
        )
        back, forward, every = st.columns([1, 1, 6])
        back.button("Previous", icon=":material/chevron_left:", disabled=number == 1, on_click=previous_page)
        forward.button(
            "Next",
            icon=":material/chevron_right:",
            disabled=page.next_key is None,
            on_click=next_page,
            args=(page.next_key,),
        )
        everything = every.checkbox("Select all on this page", key=f"data-all-{number}")
        chosen = (
            list(page.items) if everything else [page.items[i] for i in event.selection.rows if i < len(page.items)]
        )
    elif flt == SampleFilter():  # no filter: the database is empty
        st.info("No samples stored yet: draw on the Draw page, run a session on the Collect page, or import a file.")
    if chosen:
        n = len(chosen)
        st.subheader(f"{n} selected")
        left, right = st.columns(2)
        label = left.selectbox(
            "Relabel as", CLASSES, index=None, key="data-new-label", placeholder="Type or pick the right character"
        )
        if left.button(f"Relabel {n}", disabled=label is None, icon=":material/edit:"):
            st.session_state[PENDING] = ("relabel", [s.id for s in chosen], label)
        if right.button(f"Delete {n}", icon=":material/delete:"):
            st.session_state[PENDING] = ("delete", [s.id for s in chosen], None)
        right.caption(
            f"A delete can be undone for {storage.undo_days} days (AIRTYPE_UNDO_DAYS); "
            "then the deleted samples, ink included, are erased."
        )
        pending = st.session_state.get(PENDING)
        if pending:
            action, ids, char = pending
            what = (
                f"Relabel {len(ids)} sample{'s' if len(ids) != 1 else ''} as `{char}`?"
                if action == "relabel"
                else f"Delete {len(ids)} sample{'s' if len(ids) != 1 else ''}?"
            )
            st.warning(
                what
                + (
                    " It can be undone from the Changes tab."
                    if action == "relabel"
                    else f" It can be undone from the Changes tab for {storage.undo_days} days."
                )
            )
            yes, no, _ = st.columns([1, 1, 4])
            yes.button("Yes, do it", type="primary", on_click=_apply, args=pending, key="data-confirm")
            no.button("Cancel", on_click=lambda: st.session_state.pop(PENDING, None), key="data-cancel")
        if n == 1:
            sample = chosen[0]
            picture, facts = st.columns([1, 1])
            picture.image(
                ink_thumbnail_svg(sample.ink, 360, 24, stroke_order=True),
                caption="Stroke order: colours and numbers in the order written",
            )
            facts.markdown(f"### Sample #{sample.id}: `{sample.actual_char}`")
            if sample.predicted_char:
                sure = "" if sample.confidence is None else f" at {sample.confidence:.0%}"
                facts.markdown(
                    f"The model ({sample.model_version or 'unknown version'}) read "
                    f"`{sample.predicted_char}`{sure}" + ("" if sample.is_correct else " — **wrong**")
                )
                facts.dataframe(
                    {
                        "character": [c for c, _ in sample.alternatives],
                        "probability": [p for _, p in sample.alternatives],
                    },
                    hide_index=True,
                )
            facts.caption(
                f"{sample.correction_type} · {sample.source} · {len(sample.ink.strokes)} strokes, "
                f"{sample.ink.num_points} points · {sample.created_at:%Y-%m-%d %H:%M} UTC"
            )

with changes:
    _show_notice()
    edits = storage.list_edits(30)
    if not edits:
        st.info("No relabel or delete yet. Each one is listed here, with the values before it, and can be undone.")
    for edit in edits:
        what = f"Relabeled {edit.count} as `{edit.new_char}`" if edit.action == "relabel" else f"Deleted {edit.count}"
        line, button = st.columns([6, 1])
        line.markdown(
            f"**{what}** · {edit.created_at:%Y-%m-%d %H:%M:%S} UTC"
            + (f" · undone {edit.undone_at:%H:%M:%S}" if edit.undone_at else "")
        )
        olds = storage.edit_old_values(edit.id, 8)
        line.caption(
            "Before: "
            + ", ".join(f"#{i} `{old.get('actual_char')}`" for i, old in olds)
            + (" …" if edit.count > len(olds) else "")
        )
        button.button(
            "Undo", key=f"undo-{edit.id}", disabled=edit.undone_at is not None, on_click=_undo, args=(edit.id,)
        )

with importing:
    from airtype_core.formats import READ_FORMATS, FormatError
    from airtype_core.transfer.importer import import_file, preview

    limit = st.get_option("server.maxUploadSize")
    upload = st.file_uploader(
        "A handwriting file: JSON lines, InkML, UJI Pen v2 text or UNIPEN",
        type=["jsonl", "json", "ndjson", "inkml", "xml", "txt", "uji", "dat", "unipen"],
        key="import-file",
        help=f"Files up to {limit} MB (server.maxUploadSize in .streamlit/config.toml). A bigger file, or a "
        "UNIPEN folder with included files: `python -m airtype_core import FILE`.",
    )
    st.caption(
        f"Up to **{limit} MB** a file: a bigger one is marked in red and not sent to the server. "
        "Import bigger files with `python -m airtype_core import FILE`, which streams from disk."
    )
    fmt = st.selectbox("Format", ["from the file name", *READ_FORMATS], key="import-format")
    fmt = None if fmt == "from the file name" else fmt
    found = None
    if IMPORTED in st.session_state and (upload is None or st.session_state[IMPORTED][0] != upload.file_id):
        del st.session_state[IMPORTED]  # a result belongs under its own file's preview only
    if upload is not None and upload.size == 0:
        st.warning(f"{upload.name} is empty: there is nothing to import.")
    elif upload is not None:
        try:
            found, problems, more = preview(upload, fmt)
        except FormatError as exc:
            st.error(str(exc))
    if upload is not None and found is not None:
        st.markdown(
            f"**Preview** of {upload.name} ({upload.size / 1e6:.1f} MB): the first {len(found)} "
            f"samples{' of more' if more else ''}, and the problems met before them"
        )
        cells = st.columns(8)
        for cell, record in zip(cells, found):
            cell.image(ink_thumbnail_svg(record.ink, 96, 8), caption=f"{record.label} · {record.writer or '—'}")
        for problem in problems[:10]:
            st.caption(f":warning: {problem}")
        dry = st.checkbox("Dry run: check everything, store nothing", key="import-dry")
        whole = st.checkbox("All or nothing: store nothing if any record is bad", key="import-whole")
        predict = st.checkbox("Let the active model predict each sample (for the Stats page)", key="import-predict")
        if st.button("Import", type="primary", icon=":material/upload:", key="import-go"):
            bar = st.progress(0.0, text="Reading…")

            def show(p) -> None:
                done = min(1.0, upload.tell() / max(1, upload.size))
                bar.progress(
                    done, text=f"{p.read} read · {p.stored} new · {p.duplicates} duplicates · {p.problems} problems"
                )

            try:
                report = import_file(
                    storage,
                    upload,
                    fmt,
                    dry_run=dry,
                    all_or_nothing=whole,
                    predictor=get_predictor() if predict else None,
                    progress=show,
                )
            except (FormatError, *user_errors()) as exc:
                st.error(str(exc))
            else:
                st.session_state[IMPORTED] = (upload.file_id, report)
                restart_paging()
                st.rerun()  # so that the Samples and Export tabs, drawn above, count what came in
    if IMPORTED in st.session_state:
        report = st.session_state[IMPORTED][1]
        if report.error or report.rolled_back or report.crashed:
            st.error(report.summary())
        elif report.failed:
            st.warning(report.summary())
        else:
            st.success(report.summary())
        if report.problems:
            with st.expander(f"{report.problem_count} skipped, and why"):
                more = f"\n… and {report.more_problems} more" if report.more_problems else ""
                st.text("\n".join(str(p) for p in report.problems) + more)

with exporting:
    from airtype_core.transfer.exporter import SUFFIX, export_to_file

    total = page.total
    kind = st.radio(
        "Format",
        ["jsonl", "csv", "inkml"],
        horizontal=True,
        key="export-format",
        format_func={"jsonl": "JSON lines (lossless)", "csv": "CSV (metadata)", "inkml": "InkML"}.get,
    )

    # Written on request, then offered as a plain download: a button whose data is made on the
    # click itself now and then gave the browser nothing (about one click in four here).
    wanted = (kind, repr(flt), total)
    if st.button(
        f"Prepare the {total} samples of the current filter",
        icon=":material/description:",
        key="export-prepare",
        disabled=total == 0,
    ):
        with st.spinner("Writing the export…"):
            if EXPORTED in st.session_state:
                Path(st.session_state.pop(EXPORTED)[1]).unlink(missing_ok=True)
            path, _ = export_to_file(storage, flt, kind)  # streamed to a temporary file, not kept in session state
            st.session_state[EXPORTED] = (wanted, str(path))
    prepared = st.session_state.get(EXPORTED)
    if prepared is not None and prepared[0] == wanted and Path(prepared[1]).exists():
        with open(prepared[1], "rb") as written:
            st.download_button(
                f"Download the {total} samples of the current filter",
                data=written,
                file_name=f"airtype-samples{SUFFIX[kind]}",
                mime="application/octet-stream",
                icon=":material/download:",
                key="export-download",
            )
    elif total:
        st.caption("Prepare the export, then download it; changing the filter or the format asks for a new one.")
