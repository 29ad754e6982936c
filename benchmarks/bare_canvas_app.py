"""The floor for the UI benchmark: Streamlit with the Draw page's canvas and nothing else.

Each mouse-up reruns this script, which only echoes the number of strokes back;
whatever AirType adds on top of this is AirType's own cost.
"""

import streamlit as st
from streamlit_drawable_canvas import st_canvas

st.set_page_config(page_title="Bare canvas", layout="wide")

result = st_canvas(
    drawing_mode="freedraw",
    stroke_width=12,
    stroke_color="#1b1f29",
    background_color="#ffffff",
    height=320,
    width=320,
    update_streamlit=True,
    key="canvas",
)
strokes = [o for o in (result.json_data or {}).get("objects", []) if str(o.get("type")).lower() == "path"]
st.markdown(f"Echo: {len(strokes)} strokes")
