"""A participant's memory in a real Chromium: correct a character, write it again, see it read right.

A vertical stroke is `l`, `I` or `1` to the model, which hesitates between them;
the participant says which one they meant, and the same stroke drawn again is
read as that. Another participant drawing it still gets the model's own answer.
"""

from __future__ import annotations

import pytest
from browser_support import app_on_new_database, browser, draw_glyph  # noqa: F401
from test_browser_draw import (
    choose,
    open_draw_page,
    samples_of,
    wait_prediction,
    wait_stored,
)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with app_on_new_database(tmp_path_factory.mktemp("browser-memory")) as urls:
        yield urls


def test_a_corrected_character_is_read_right_the_next_time(browser, app):
    server_url, db_url = app
    page = open_draw_page(browser, server_url, "Mia")

    draw_glyph(page, "1")
    first = wait_prediction(page, strokes=1)
    meant = next(c for c in ("I", "1", "l") if c != first)
    choose(page, "Not right?", meant)
    wait_stored(page)
    [sample] = samples_of(db_url, "Mia")
    assert (sample.predicted_char, sample.actual_char) == (first, meant)

    draw_glyph(page, "1")
    assert wait_prediction(page, strokes=1) == meant

    other = open_draw_page(browser, server_url, "Noor")
    draw_glyph(other, "1")
    assert wait_prediction(other, strokes=1) == first
