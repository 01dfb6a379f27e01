"""kilas_settings: defaults, rules, messages and the build state."""

from __future__ import annotations

import copy
import os
import pickle
from datetime import datetime

import pytest

from kilas_settings import (
    BuildState,
    SettingError,
    apply,
    build_now,
    flag,
    kind,
    one_of,
    optional,
    problems,
    rule,
    site_url,
    state,
    text,
    texts,
    whole,
)

DEFAULTS = {"X_COUNT": 3, "X_NAMES": ["a", "b"], "X_ON": True}
RULES = {"X_COUNT": whole(1), "X_NAMES": texts(), "X_ON": flag()}


class XError(SettingError):
    pass


def test_defaults_fill_only_what_is_unset_and_are_copies():
    settings = {"X_COUNT": 7}
    apply(settings, DEFAULTS, RULES, "x")
    assert settings == {"X_COUNT": 7, "X_NAMES": ["a", "b"], "X_ON": True}
    settings["X_NAMES"].append("c")
    assert DEFAULTS["X_NAMES"] == ["a", "b"]  # the plugin's table is untouched


def test_every_bad_setting_is_named_in_one_error():
    settings = {"X_COUNT": True, "X_NAMES": ["a", 1], "X_ON": "yes"}
    with pytest.raises(XError) as raised:
        apply(settings, DEFAULTS, RULES, "x", XError)
    assert str(raised.value).splitlines() == [
        "x: X_COUNT = True is not allowed; expected a whole number of at least 1",
        "x: X_NAMES = ['a', 1] is not allowed; expected a list of texts",
        "x: X_ON = 'yes' is not allowed; expected True or False",
    ]


@pytest.mark.parametrize(
    ("checked", "good", "bad"),
    [
        (whole(0), [0, 5], [-1, 1.0, False, "3", None]),
        (whole(2, example=10), [2], [1]),
        (text(), ["", "a"], [None, 1, b"a"]),
        (flag(), [True, False], [0, 1, "True", None]),
        (one_of("newest", "oldest"), ["newest"], ["Newest", None, 1]),
        (texts(), [[], ("a",)], ["ab", [1], None]),
        (kind(dict, "a mapping"), [{}], [[], None]),
        (kind((int, float), "a number"), [1, 0.5], [True, "1"]),
        (optional(whole(1)), [None, 1], [0, "x"]),
        (rule(lambda v: v.startswith("a"), "a text from a"), ["ab"], ["b", 1]),
    ],
)
def test_rules_accept_and_refuse(checked, good, bad):
    assert all(checked(value) for value in good)
    assert not any(checked(value) for value in bad)


def test_a_hint_names_a_near_value_and_a_failing_hint_is_left_out():
    near = rule(lambda v: v == "Bencana", '"Bencana"', lambda v: "'Bencana'")
    broken = rule(lambda v: v == "x", '"x"', lambda v: v.missing)
    found = problems({"A": "Bencanaa", "B": "y"}, {"A": near, "B": broken}, "p")
    assert found == [
        "p: A = 'Bencanaa' is not allowed; expected \"Bencana\"; "
        "did you mean 'Bencana'?",
        "p: B = 'y' is not allowed; expected \"x\"",
    ]


def test_site_url():
    assert site_url({"SITEURL": "https://a.org/x"}, "b/") == "https://a.org/x/b/"
    assert site_url({"SITEURL": ""}, "b/") == "/b/"
    assert site_url({}, "") == "/"


def test_build_state_belongs_to_its_settings():
    first, second = {}, {}
    state(first).set("plugin", "one")
    assert state(first).get("plugin") == "one"
    assert state(second).get("plugin") is None  # another build
    assert state(first).set("plugin", "two") == "one"
    assert state(first).pop("plugin") == "two"
    assert state(first).pop("plugin") is None


def test_build_state_never_changes_a_key_or_a_pickle():
    settings = {}
    state(settings).set("plugin", object())
    assert repr(settings["KILAS_BUILD_STATE"]) == "BuildState()"
    restored = pickle.loads(pickle.dumps(settings))
    assert isinstance(restored["KILAS_BUILD_STATE"], BuildState)
    assert restored["KILAS_BUILD_STATE"].get("plugin") is None
    assert copy.deepcopy(settings)["KILAS_BUILD_STATE"] is settings["KILAS_BUILD_STATE"]


def test_a_forked_process_changes_only_its_own_copy():
    settings = {}
    state(settings).set("plugin", "parent")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: change its copy, report, leave
        state(settings).set("plugin", "child")
        os.write(write, str(state(settings).get("plugin")).encode())
        os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 100) == b"child"
    assert state(settings).get("plugin") == "parent"


def test_build_now_reads_kilas_now_once_for_everyone(monkeypatch):
    settings = {"TIMEZONE": "Asia/Jakarta", "KILAS_NOW": "2024-08-04T01:30+09:00"}
    monkeypatch.delenv("KILAS_NOW", raising=False)
    now = build_now(settings)
    assert (now.isoformat(), now.tzinfo.key) == (
        "2024-08-03T23:30:00+07:00",
        "Asia/Jakarta",
    )
    monkeypatch.setenv("KILAS_NOW", "2024-08-05 12:00")
    assert build_now(settings).isoformat() == "2024-08-05T12:00:00+07:00"
    monkeypatch.setenv("KILAS_NOW", "besok")
    with pytest.raises(XError, match=r"kilas_x: KILAS_NOW = 'besok' \(environment"):
        build_now(settings, "kilas_x", XError)
    monkeypatch.delenv("KILAS_NOW")
    before = datetime.now().astimezone()
    assert build_now({"TIMEZONE": "Asia/Jakarta"}) >= before
