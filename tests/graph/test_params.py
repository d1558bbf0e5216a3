"""Slice parameters: read from a URL without ever raising, clamped to their
bounds however they are made, written back as only what differs from the
defaults, and keyed for the cache."""

import pytest
from django.http import QueryDict

from graph.params import KINDS, SliceParams


def parsed(query: str, kind: str = "researcher", key: str = "A5100000001"):
    return SliceParams.from_query(kind, key, QueryDict(query))


def test_no_parameters_give_the_defaults():
    params = parsed("")
    assert params == SliceParams(centre_kind="researcher", centre_key="A5100000001")
    assert (params.depth, params.kinds, params.min_tie) == (1, KINDS, 0.0)
    assert (params.year_min, params.year_max) == (None, None)
    assert (
        params.max_coauthors,
        params.max_works,
        params.max_topics,
        params.max_institutions,
    ) == (12, 12, 8, 8)
    assert params.to_query() == {}


def test_every_parameter_is_read():
    params = parsed(
        "depth=2&kinds=work,researcher&year_min=2010&year_max=2020&min_tie=0.25"
        "&coauthors=5&works=7&topics=3&institutions=4"
    )
    assert params.depth == 2
    assert params.kinds == ("researcher", "work")  # in KINDS order
    assert (params.year_min, params.year_max) == (2010, 2020)
    assert params.min_tie == 0.25
    assert (
        params.max_coauthors,
        params.max_works,
        params.max_topics,
        params.max_institutions,
    ) == (5, 7, 3, 4)


@pytest.mark.parametrize(
    "query, field, value",
    [
        ("depth=0", "depth", 1),
        ("depth=9", "depth", 2),
        ("coauthors=0", "max_coauthors", 1),
        ("coauthors=5000", "max_coauthors", 50),
        ("works=-3", "max_works", 1),
        ("works=51", "max_works", 50),
        ("topics=31", "max_topics", 30),
        ("institutions=100", "max_institutions", 30),
        ("year_min=1066", "year_min", 1900),
        ("year_max=3000", "year_max", 2100),
        ("min_tie=-1", "min_tie", 0.0),
        ("min_tie=99", "min_tie", 10.0),
    ],
)
def test_values_out_of_bounds_are_clamped(query, field, value):
    assert getattr(parsed(query), field) == value


@pytest.mark.parametrize(
    "query",
    [
        "depth=deep",
        "depth=",
        "kinds=ghosts,%00",
        "kinds=",
        "year_min=last+year",
        "year_max=20x0",
        "min_tie=nan",
        "min_tie=inf",
        "min_tie=0.2.1",
        "coauthors=many",
        "works=1e3",
        "topics=%F0%9F%92%A9",
        "institutions=[]",
        "unknown=1",
    ],
)
def test_garbage_is_ignored(query):
    assert parsed(query) == parsed("")


def test_kinds_may_repeat_as_a_form_sends_them():
    assert parsed("kinds=topic&kinds=researcher").kinds == ("researcher", "topic")
    assert parsed("kinds=TOPIC, work,topic").kinds == ("work", "topic")


def test_years_given_the_wrong_way_round_are_swapped():
    params = parsed("year_min=2020&year_max=2010")
    assert (params.year_min, params.year_max) == (2010, 2020)


def test_a_plain_mapping_is_read_too():
    params = SliceParams.from_query("topic", "T11636", {"depth": "2", "kinds": "work"})
    assert (params.depth, params.kinds) == (2, ("work",))


def test_an_unknown_centre_kind_raises():
    with pytest.raises(ValueError):
        SliceParams.from_query("planet", "P1", {})


def test_parameters_made_directly_are_clamped_too():
    params = SliceParams(
        centre_kind="work",
        centre_key=" W1 ",
        depth=7,
        kinds=["work", "nonsense"],
        max_coauthors=10**6,
        min_tie=-2,
    )
    assert params.centre_key == "W1"
    assert params.depth == 2
    assert params.kinds == ("work",)
    assert params.max_coauthors == 50
    assert params.min_tie == 0.0


def test_to_query_reads_back_to_equal_parameters():
    params = parsed("depth=2&kinds=topic,work&year_min=2001&min_tie=0.3&topics=4")
    query = params.to_query()
    assert query == {
        "depth": "2",
        "kinds": "work,topic",
        "year_min": "2001",
        "min_tie": "0.3",
        "topics": "4",
    }
    assert SliceParams.from_query("researcher", "A5100000001", query) == params


def test_from_dict_reads_what_asdict_wrote():
    from dataclasses import asdict

    params = parsed("depth=2&kinds=researcher,work&works=3")
    assert SliceParams.from_dict({**asdict(params), "extra": 1}) == params
    with pytest.raises(ValueError):
        SliceParams.from_dict({"centre_key": "A1"})


def test_the_cache_key_is_short_stable_and_versioned():
    one = parsed("depth=2&kinds=work,researcher")
    same = parsed("kinds=researcher,work&depth=2")
    other = parsed("depth=2")
    assert one.cache_key(3) == same.cache_key(3)
    assert one.cache_key(3) != one.cache_key(4)
    assert one.cache_key(3) != other.cache_key(3)
    assert len(one.cache_key(3)) < 80
    # The same in any process: a hash of the values, not of Python objects.
    assert one.cache_key(3) == parsed("depth=2&kinds=researcher,work").cache_key(3)
