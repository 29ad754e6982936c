"""Streamlit glue shared by the pages: the per-process model and database (resources), the answer panel (feedback)."""
