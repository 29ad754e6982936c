"""What a newcomer meets on the pages, driven by Streamlit's AppTest: one message where one is
meant, a name that exists said to exist, nothing that looks like data where there is none."""

from __future__ import annotations

from test_insight_pages import app_on, open_storage, run, texts


def test_adding_a_participant_whose_name_exists_says_so(db_file):
    storage = open_storage(db_file)
    storage.add_participant("Ada")
    storage.close()
    at = app_on("pages/participants.py")
    at.text_input(key="participants-new").set_value(" Ada ")
    at.button[0].click()  # the form's Add
    run(at)
    assert "Ada already exists: nothing was added." in [w.value for w in at.warning]
    assert not at.success


def test_collect_without_a_participant_says_it_once_and_not_after_one_is_picked(db_file):
    at = app_on("pages/collect.py")
    said = [str(x.value) for kind in ("warning", "error") for x in at.get(kind)]
    assert said == ["Choose a participant in the sidebar first: every sample of a session is theirs."]
    at.button(key="collect-start").click()
    run(at)
    assert len([x for kind in ("warning", "error") for x in at.get(kind)]) == 1, texts(at)
    assert at.button(key="collect-start").disabled

    storage = open_storage(db_file)
    at.session_state["participant"] = storage.add_participant("Ada")  # what picking Ada in the sidebar sets
    storage.close()
    run(at)
    assert not at.warning and not at.error, texts(at)
    assert not at.button(key="collect-start").disabled


def test_what_to_practise_lists_what_its_button_prompts_in_plain_words(db_file):
    import re

    from airtype_core.bench.stats import seed_samples

    storage = open_storage(db_file)
    seed_samples(storage, 200, seed=2, days=5, features=False, ink_points=3)
    storage.close()
    at = app_on("pages/stats.py", participant="Ada")
    listed = [m.value for m in at.markdown if re.match(r"^\*\*`.`\*\* ·", m.value)]
    button = next(b for b in at.button if b.label.startswith("Practise these:"))
    prompted = button.label.split(":", 1)[1].split()
    assert [line[3] for line in listed] == prompted
    shown = texts(at) + "\n".join(str(c.proto.spec) for c in at.get("plotly_chart"))
    assert "seed" not in shown.lower(), "words that mean nothing to a user"


def test_an_empty_data_page_shows_no_blank_rows_paging_or_select_all(db_file):
    at = app_on("pages/data.py")
    assert not at.dataframe, "a table of blank rows"
    assert not [b for b in at.button if b.label in ("Previous", "Next")], "paging through nothing"
    assert not [c for c in at.checkbox if c.label.startswith("Select all")]
    assert "No samples stored yet" in texts(at)
