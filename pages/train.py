"""Training page: is there enough data, train in the background and watch it, choose the model in use.

The run itself is a separate process owned by `airtype_core.learning.jobs.JobRunner`;
this page only starts it, polls its status file once a second and draws it, so
closing the tab or rerunning the page never touches the run.
"""

from __future__ import annotations

import time
from datetime import datetime

import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from airtype_core.learning.jobs import JobRunner, JobStatus, TrainingBusyError
from airtype_core.learning.options import TrainingError, TrainOptions
from airtype_core.learning.readiness import readiness
from airtype_core.learning.versions import (
    VersionInfo,
    activate_version,
    list_versions,
    version_archive,
)
from airtype_core.recognition.modelstore import ModelLoadError, ModelStore
from airtype_core.settings import get_settings
from ui.navigation import enter_through_app
from ui.resources import NoModelForSetting, get_predictor, get_storage, user_errors

enter_through_app(__file__)

WATCHING = "train-watching"  # session_state: the job id this session saw running
MODES = {"finetune": "Fine-tune the active model", "full": "Full training from scratch"}


def _curves(status: JobStatus) -> go.Figure:
    """Loss and accuracy: live training points, then one train and one validation point per epoch."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Loss", "Accuracy"))
    live = list(status.curve)
    epochs = list(status.history)
    for col, key in ((1, "loss"), (2, "acc")):
        fig.add_trace(
            go.Scatter(
                x=[p.x for p in live],
                y=[getattr(p, key) for p in live],
                mode="lines",
                name="train (live)",
                line={"color": "#9aa7c7"},
                showlegend=col == 1,
            ),
            1,
            col,
        )
        for split, color in (("train", "#3358d4"), ("val", "#e8590c")):
            fig.add_trace(
                go.Scatter(
                    x=[e.epoch for e in epochs],
                    y=[getattr(e, f"{split}_{key}") for e in epochs],
                    mode="lines+markers",
                    name=split,
                    line={"color": color},
                    showlegend=col == 1,
                ),
                1,
                col,
            )
    fig.update_xaxes(title_text="epoch", range=[0, max(status.epochs, 1)])
    fig.update_yaxes(rangemode="tozero", row=1, col=1)
    fig.update_yaxes(range=[0, 1], row=1, col=2)
    fig.update_layout(
        height=320,
        margin={"t": 60, "b": 10, "l": 10, "r": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.12, "xanchor": "right", "x": 1},
    )
    return fig


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def _outcome(status: JobStatus) -> None:
    if status.state == "cancelled":
        st.info("The last run was cancelled; the active model was not changed.")
    elif status.state == "failed":
        st.error(f"The last run failed: {status.error}")
    elif status.outcome:
        out = status.outcome
        text = f"New version `{out.version}` (from `{out.parent_version}`): {out.reason}."
        (st.success if out.activated else st.warning)(text)
        held_out = out.new_metrics.get("held_out_samples", 0)
        rows = {
            f"Your {held_out} held-out sample{'s' if held_out != 1 else ''}": ("held_out_top1", "{:.1%}"),
            "…same, look-alikes folded": ("held_out_top1_folded", "{:.1%}"),
            "Synthetic ink of classes you did not draw": ("synthetic_top1", "{:.1%}"),
        }
        table = [
            {
                "measured on": label,
                "new model": fmt.format(out.new_metrics[key]),
                "active model": fmt.format(out.parent_metrics[key]) if key in out.parent_metrics else "–",
            }
            for label, (key, fmt) in rows.items()
            if out.new_metrics.get(key) is not None
        ]
        st.dataframe(table, hide_index=True)
        st.caption(
            f"{out.samples_used} stored samples → {out.train_size} training inks; "
            f"{_duration(out.duration_s)} in all on {out.device}, {out.samples_per_s:.0f} samples/s."
        )
    if status.history:
        st.plotly_chart(_curves(status), key=f"curves-{status.job_id}-final")


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def version_rows(versions: list[VersionInfo]) -> list[dict[str, str]]:
    return [
        {
            "version": v.version,
            "in use": "✓" if v.is_active else "",
            "kind": v.kind,
            "created": datetime.fromisoformat(v.created_at).strftime("%Y-%m-%d %H:%M"),
            "parent": v.parent_version or "",
            "held-out accuracy": _percent(v.held_out_top1),
            "measured on": v.measured_on,
            "note": v.reason or "",
            "learned from": v.learned_from,
        }
        for v in versions
    ]


def progress_panel(runner: JobRunner, running: bool) -> None:
    @st.fragment(run_every=1.0 if running else None)
    def panel() -> None:
        status = runner.status()
        if status is None:
            st.caption("No training run yet.")
            return
        if not status.active:
            if st.session_state.get(WATCHING) == status.job_id:
                # the run just ended: redraw the whole page (versions, runs) and stop polling
                st.session_state.pop(WATCHING)
                if status.state == "completed":
                    try:
                        get_predictor()  # swaps in the new version now, if it was activated
                    except user_errors():
                        pass  # still no model for this setting: the page says so when it reruns
                    st.toast(status.message)
                st.rerun()
            _outcome(status)
            return
        st.session_state[WATCHING] = status.job_id
        text = status.message
        if status.batches:
            text = f"Epoch {status.epoch}/{status.epochs} · batch {status.batch}/{status.batches}"
        st.progress(min(status.fraction, 1.0), text=text)
        cols = st.columns(4)
        cols[0].metric("Phase", status.state)
        cols[1].metric("Elapsed", _duration(status.elapsed_until(time.time())))
        cols[2].metric("Time left", _duration(status.eta_s) if status.batches else "–")
        last = status.history[-1] if status.history else None
        cols[3].metric("Validation accuracy", f"{last.val_acc:.1%}" if last and last.val_acc is not None else "–")
        st.plotly_chart(_curves(status), key="curves-live")
        st.button("Cancel training", on_click=runner.cancel, icon=":material/stop_circle:")

    panel()


st.title("Training")
try:
    storage = get_storage()
    predictor = get_predictor()
except NoModelForSetting as exc:  # the page offers what the message asks for: training a model from scratch
    predictor = None
    st.warning(str(exc))
except user_errors() as exc:
    st.error(str(exc))
    st.stop()
store = predictor.store if predictor else ModelStore(get_settings().model_dir)
runner = JobRunner()
runner.recover(storage)  # a run whose process died is marked failed before it is listed
current = runner.status()
running = current is not None and current.active

# --- options --------------------------------------------------------------------------
st.subheader("Readiness")
options_col, ready_col = st.columns([2, 3], gap="large")
with options_col:
    mode = st.radio(
        "Kind of run",
        list(MODES) if predictor else ["full"],
        format_func=MODES.get,
        horizontal=True,
        help="Fine-tuning adapts the model in use (a third of the learning rate, 5 epochs, then "
        "blended with a fifth of the model in use so it keeps what it knew). "
        "Full training starts from random weights: it needs many samples of every character.",
    )
    defaults = TrainOptions(mode=mode).resolved()
    participants = {p.id: p.name for p in storage.list_participants()}
    participant = st.selectbox(
        "Samples of",
        [None, *participants],
        format_func=lambda p: participants.get(p, "everyone"),
        help="Train on one participant's samples only (personalization).",
    )
    misclassified = st.checkbox("Only the samples the model got wrong")
    a, b = st.columns(2)
    epochs = a.number_input("Epochs", 1, 200, defaults.epochs, key=f"epochs-{mode}")
    min_samples = b.number_input("Minimum samples", 1, 100_000, defaults.min_samples)
    augment = st.toggle("Augmentation (distorted copies of each ink)", value=True)
    factor = st.slider(
        "Augmentation factor", 1, 10, defaults.augmentation_factor, disabled=not augment, key=f"factor-{mode}"
    )
options = TrainOptions(
    mode=mode,
    epochs=int(epochs),
    augment=augment,
    augmentation_factor=factor,
    misclassified_only=misclassified,
    min_samples=int(min_samples),
    participant_id=participant,
)

with ready_col:
    try:
        state = readiness(storage, options)
    except user_errors() + (TrainingError,) as exc:
        st.error(str(exc))
        st.stop()
    m = st.columns(3)  # no "best accuracy": each run measures on other samples (the versions table says which)
    m[0].metric("Samples", state.total, help=f"at least {state.min_samples} needed")
    m[1].metric("Device", state.device)
    m[2].metric("Runs", state.runs, help=f"{state.completed_runs} completed")
    (st.success if state.ready else st.info)(state.recommendation)
    fig = go.Figure(
        go.Bar(
            x=list(state.counts),
            y=list(state.counts.values()),
            marker_color="#3358d4",
            hovertemplate="%{x}: %{y} samples<extra></extra>",
        )
    )
    # Every character labelled: Plotly thins out crowded category ticks unless told one per bar.
    fig.update_layout(
        height=220,
        margin={"t": 10, "b": 10, "l": 10, "r": 10},
        yaxis={"title": "samples", "rangemode": "nonnegative"},
        xaxis={
            "type": "category",
            "tickmode": "linear",
            "dtick": 1,
            "tickangle": 0,
            "tickfont": {"size": 9, "family": "monospace"},
        },
    )
    st.plotly_chart(fig, key="counts")

if st.button("Start training", type="primary", disabled=running or not state.ready, icon=":material/model_training:"):
    try:
        runner.start(options, storage)
        st.rerun()
    except (TrainingBusyError, TrainingError) + user_errors() as exc:
        st.error(str(exc))

# --- the run ----------------------------------------------------------------------------
st.subheader("Current run" if running else "Last run")
progress_panel(runner, running)

# --- versions -----------------------------------------------------------------------------
st.subheader("Model versions")
versions = list_versions(store)
st.table(version_rows(versions))  # a table that wraps: names, notes and credits are never cut off
if predictor and predictor.warning:
    st.warning(predictor.warning)
# one row that wraps whole widgets: ratio columns squeezed "Use this version" onto two lines at 1024 px
row = st.container(horizontal=True, vertical_alignment="bottom", key="train-version-row")
names = [v.version for v in versions]
active_index = next((i for i, v in enumerate(versions) if v.is_active), 0)
chosen = row.selectbox("Version", names, index=active_index if names else None)
if row.button("Use this version", disabled=not chosen or (predictor is not None and chosen == predictor.version)):
    try:
        activate_version(chosen, store, storage)
        get_predictor()
        st.toast(f"Now recognizing with {chosen}")
        st.rerun()
    except (ModelLoadError,) + user_errors() as exc:
        st.error(str(exc))
if chosen:
    row.download_button(
        "Download",
        data=lambda: version_archive(store, chosen),
        file_name=f"airtype-{chosen}.zip",
        mime="application/zip",
        icon=":material/download:",
        help="the version's weights and manifest; unzip into data/models/ of another AirType",
    )

with st.expander("Past runs"):
    st.dataframe(
        [
            {
                "started": s.started_at.strftime("%Y-%m-%d %H:%M"),
                "kind": s.kind,
                "status": s.status,
                "samples": s.samples_used,
                "epochs": len(s.history or []),
                "duration": _duration(s.duration_s),
                "device": s.device,
                "version": s.model_version or "",
                "note": s.error or (s.metrics or {}).get("reason", ""),
            }
            for s in storage.list_training_sessions(limit=50)
        ],
        hide_index=True,
    )
