"""Tells the page why the browser refused the camera after START.

streamlit-webrtc shows the browser's error (NotFoundError, NotAllowedError, ...)
inside its own frame and does not tell Python; the page then went on saying
"Press START". This invisible component, in the page itself, reads the video
component's frame (same origin) twice a second and hands the error's name to
Python when it appears or goes, so the page can say in words what happened.
"""

from __future__ import annotations

import streamlit as st

_JS = r"""
export default function (component) {
  // One watcher per page, whatever the number of reruns that mount this again. It reads
  // textContent (no layout) and tells Python when the error it sees is not the one Python
  // last drew with (`data`), again every 2 s until it is: a value sent mid-run may be lost.
  const NAME = /\b(Not(?:Allowed|Found|Readable)Error|OverconstrainedError|SecurityError|AbortError)\b/;
  const probe = (window.__airtypeCameraProbe ??= { timer: null, sentAt: 0 });
  probe.setStateValue = component.setStateValue;
  probe.known = component.data || "";
  if (probe.timer === null) {
    probe.timer = setInterval(() => {
      const frames = document.querySelectorAll('iframe[title*="webrtc_streamer"]');
      if (frames.length === 0) return;  // another page of the app: nothing to say
      let name = "";
      for (const frame of frames) {
        try {
          const found = (frame.contentDocument?.body?.textContent || "").match(NAME);
          if (found) name = found[1];
        } catch (e) { /* a frame from another origin: nothing to read */ }
      }
      if (name !== probe.known && performance.now() - probe.sentAt > 2000) {
        probe.sentAt = performance.now();
        probe.setStateValue("error", name);
      }
    }, 500);
  }
}
"""


def camera_error(key: str = "air-camera-probe") -> str:
    """The browser's name of the error that stopped the camera's START, "" while there is none."""
    # Registered on every run, into the running server's registry (a test starts several); the same
    # definition again is a no-op.
    probe = st.components.v2.component("airtype_camera_probe", js=_JS)
    seen = f"{key}-seen"  # what the last run drew with, for the watcher to compare against
    result = probe(key=key, data=st.session_state.get(seen, ""), on_error_change=lambda: None)
    error = (getattr(result, "error", None) or "") if result is not None else ""
    st.session_state[seen] = error
    return error
