"""kilas_theme: reading time, names in the interface language, settings."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from kilas_theme import kilas_theme
from kilas_theme.kilas_theme import country_name, language_name, reading_minutes


def test_reading_minutes_round_up_whole_words_of_the_text():
    assert reading_minutes("<p>" + "kata " * 200 + "</p>") == 1
    assert reading_minutes("<p>" + "kata " * 201 + "</p>") == 2
    assert reading_minutes("") == 1
    assert reading_minutes(None) == 1
    # Tags and attributes are not words; hyphenated and elided words are one.
    tagged = '<a href="x y z">anak-anak</a> <em>Jum\u2019at</em> ' * 100
    assert reading_minutes(tagged, words_per_minute=200) == 1
    assert reading_minutes(tagged, words_per_minute=199) == 2


def test_names_in_the_interface_language():
    assert language_name("en", "id") == "Inggris"
    assert language_name("id", "en") == "Indonesian"
    assert country_name("kp", "id") == "Korea Utara"
    assert country_name("XX", "id") == "XX"
    assert language_name("en", "bukan-bahasa") == "en"


@pytest.mark.parametrize("value", [0, -5, True, 2.5, "200"])
def test_a_bad_reading_speed_stops_the_build(value):
    pelican = SimpleNamespace(settings={"KILAS_THEME_WORDS_PER_MINUTE": value})
    with pytest.raises(ValueError, match="KILAS_THEME_WORDS_PER_MINUTE = "):
        kilas_theme.check_settings(pelican)
