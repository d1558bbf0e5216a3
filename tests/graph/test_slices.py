"""The slice builder: a bounded neighbourhood read with a fixed number of
queries, caps that hold and say what they cut, close collaborators as the
trust model counts them, the hidden rule, filters, and every kind of
centre."""

import math

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from graph.params import KINDS, SliceParams
from graph.slices import SliceNotFound, slice_build, slice_nearest
from profiles.models import HiddenWork
from profiles.selectors import researcher_close_collaborators
from profiles.services import researcher_trust_update
from profiles.ties import LARGE_TEAM_AUTHOR_CAP, is_close, tie_strengths
from tests.factories import (
    AuthorshipFactory,
    AuthorshipInstitutionFactory,
    InstitutionFactory,
    ResearcherFactory,
    ResearcherTopicFactory,
    TopicFactory,
    WorkFactory,
    WorkTopicFactory,
    work_with_team,
)
from tests.graph.helpers import (
    iid,
    nodes_of,
    researcher_network,
    researcher_topics,
    rid,
    tid,
    wid,
)

pytestmark = pytest.mark.django_db

THRESHOLD = settings.CLOSE_COLLABORATOR_THRESHOLD


def researcher_slice(researcher, **params):
    return slice_build(SliceParams("researcher", researcher.openalex_id, **params))


def edge(slice_, a, b):
    return slice_.graph.edges[a, b] if slice_.graph.has_edge(a, b) else None


# --- bounded cost -----------------------------------------------------------------


@pytest.mark.parametrize("depth", [1, 2])
def test_the_query_count_is_the_same_for_5_coauthors_and_for_2000(
    depth, django_assert_num_queries
):
    small = researcher_network(coauthors=5, team=6)
    large = researcher_network(coauthors=2000, team=50)
    for network in (small, large):
        researcher_topics(network.coauthors, network.topics)

    with CaptureQueriesContext(connection) as measured:
        few = researcher_slice(small.centre, depth=depth)
    with django_assert_num_queries(len(measured)):
        many = researcher_slice(large.centre, depth=depth)

    assert len(measured) <= 15
    assert len(nodes_of(few, "researcher")) == 5
    assert len(nodes_of(many, "researcher")) == 12
    assert many.left_out["researcher"] == 2000 - 12
    assert "researcher" not in few.left_out


def test_the_caps_hold_and_left_out_counts_what_they_cut():
    # 40 coauthors in teams of 5: 10 works, in 4 topics, at 4 institutions.
    network = researcher_network(coauthors=40, team=5, topics=4, institutions=4)

    slice_ = researcher_slice(
        network.centre, max_coauthors=6, max_works=3, max_topics=2, max_institutions=2
    )

    shown = {kind: len(nodes_of(slice_, kind)) for kind in KINDS}
    assert shown == {"researcher": 6, "work": 3, "topic": 2, "institution": 2}
    assert slice_.left_out == {
        "researcher": 34,
        "work": 7,
        "topic": 2,
        "institution": 2,
    }
    # The most cited works, the current affiliation among the institutions.
    assert nodes_of(slice_, "work") == {wid(w) for w in network.works[-3:]}
    assert iid(network.centre.affiliation) in nodes_of(slice_, "institution")


def test_within_its_caps_nothing_is_left_out():
    network = researcher_network(coauthors=8, team=5)
    slice_ = researcher_slice(network.centre)
    assert slice_.left_out == {}
    assert nodes_of(slice_, "researcher") == {rid(r) for r in network.coauthors}
    assert nodes_of(slice_, "work") == {wid(w) for w in network.works}
    assert nodes_of(slice_, "topic") == {tid(t) for t in network.topics[:2]}


def test_depth_2_adds_a_hop_and_keeps_its_caps():
    network = researcher_network(coauthors=40, team=5, topics=2, institutions=3)
    extra_topics = TopicFactory.create_batch(6)
    researcher_topics(network.coauthors, extra_topics)

    one = researcher_slice(network.centre, max_coauthors=6, max_topics=3)
    two = researcher_slice(network.centre, max_coauthors=6, max_topics=3, depth=2)

    assert nodes_of(one, "researcher") == nodes_of(two, "researcher")
    assert nodes_of(one, "topic") == {tid(t) for t in network.topics}
    # Each depth's additions have their own cap.
    added = nodes_of(two, "topic") - nodes_of(one, "topic")
    assert len(added) == 3 and added <= {tid(t) for t in extra_topics}
    kinds = {data["kind"] for _, _, data in two.graph.edges(data=True)}
    assert "shared-works" in kinds
    # Equal ties rank by id: the first six coauthors, the first team's four
    # among them, who share that work.
    first, second = network.teams[network.works[0].pk][:2]
    assert nodes_of(two, "researcher") == {rid(r) for r in network.coauthors[:6]}
    assert edge(two, rid(first), rid(second)) == {
        "kind": "shared-works",
        "weight": 1.0,
    }
    assert edge(one, rid(first), rid(second)) is None


# --- close collaborators: one definition ------------------------------------------


def close_collaborator_world():
    """A researcher whose coauthors sit either side of the threshold: a and
    x share a 3-author paper (0.5), b a 6-author paper (0.2, exactly), c six
    31-author papers (six shares of 1/30), d an 11-author paper (0.1), e
    three papers above the large-team cap (no tie at all)."""
    me = ResearcherFactory(display_name="Centre Person")
    a, x, b, c, d, e = (ResearcherFactory() for _ in range(6))
    work_with_team(researchers=[me, a, x])
    for researchers, author_count, count in (
        ([me, b], 6, 1),
        ([me, c], 31, 6),
        ([me, d], 11, 1),
        ([me, e], LARGE_TEAM_AUTHOR_CAP + 50, 3),
    ):
        for _ in range(count):
            work = WorkFactory(author_count=author_count)
            for position, researcher in enumerate(researchers):
                AuthorshipFactory(work=work, researcher=researcher, position=position)
    return me, {"a": a, "x": x, "b": b, "c": c, "d": d, "e": e}


def test_close_collaborators_agree_with_the_trust_model_and_its_list():
    me, people = close_collaborator_world()
    researcher_trust_update(researcher_ids=[me.pk])
    me.refresh_from_db()

    slice_ = researcher_slice(me, max_coauthors=50)

    ties = {
        ident: slice_.graph.nodes[ident]["tie"]
        for ident in nodes_of(slice_, "researcher")
    }
    close = {ident for ident, tie in ties.items() if is_close(tie, threshold=THRESHOLD)}
    listed = researcher_close_collaborators(researcher=me, limit=50)
    assert close == {rid(c.researcher) for c in listed}
    assert close == {rid(people[name]) for name in "axbc"}
    assert len(close) == me.close_collaborators_count == 4
    # The tie on a node and on its edge is the strength profiles.ties gives.
    strengths = dict(
        tie_strengths(researcher_id=me.pk, max_author_count=LARGE_TEAM_AUTHOR_CAP)
    )
    for name in "axbcd":
        person = people[name]
        assert ties[rid(person)] == strengths[person.pk]
        assert edge(slice_, rid(me), rid(person)) == {
            "kind": "coauthor",
            "weight": strengths[person.pk],
        }
    # Coauthors only of consortia above the cap are no collaborators here.
    assert rid(people["e"]) not in slice_.graph


def test_min_tie_drops_weaker_coauthors_at_the_threshold_exactly():
    me, people = close_collaborator_world()

    at_threshold = researcher_slice(me, min_tie=THRESHOLD)
    stronger = researcher_slice(me, min_tie=0.3)

    assert nodes_of(at_threshold, "researcher") == {
        rid(people[name]) for name in "axbc"
    }
    assert nodes_of(stronger, "researcher") == {rid(people[name]) for name in "ax"}
    # Caps count what they cut, not what the filter dropped.
    assert "researcher" not in stronger.left_out


def test_coauthors_are_ranked_by_tie_strength():
    me, people = close_collaborator_world()
    slice_ = researcher_slice(me, max_coauthors=2)
    assert nodes_of(slice_, "researcher") == {rid(people["a"]), rid(people["x"])}
    assert slice_.left_out["researcher"] == 3  # b, c and d


# --- the hidden rule --------------------------------------------------------------


def test_hidden_profiles_and_works_never_appear():
    me = ResearcherFactory()
    hidden = ResearcherFactory(is_hidden=True, display_name="Hidden Person")
    only_on_hidden, hider, bystander = (ResearcherFactory() for _ in range(3))
    shared = work_with_team(researchers=[me, hidden])
    mine_hidden = work_with_team(researchers=[me, only_on_hidden])
    HiddenWork.objects.create(researcher=me, work=mine_hidden)
    theirs_hidden = work_with_team(researchers=[me, hider, bystander])
    other = work_with_team(researchers=[me, hider])
    HiddenWork.objects.create(researcher=hider, work=theirs_hidden)

    slice_ = researcher_slice(me, depth=2)

    assert rid(hidden) not in slice_.graph
    assert "Hidden Person" not in {
        label for _, label in slice_.graph.nodes(data="label")
    }
    # A work the centre hid is none of its works, and ties it to nobody.
    assert wid(mine_hidden) not in slice_.graph
    assert rid(only_on_hidden) not in slice_.graph
    # A coauthor who hid a work is not linked to it; the others are.
    assert wid(theirs_hidden) in slice_.graph
    assert edge(slice_, rid(hider), wid(theirs_hidden)) is None
    assert edge(slice_, rid(bystander), wid(theirs_hidden))["kind"] == "authored"
    assert edge(slice_, rid(hider), wid(other))["kind"] == "authored"
    assert slice_.graph.nodes[rid(hider)]["tie"] == pytest.approx(1.0)
    assert edge(slice_, rid(hider), rid(bystander)) is None
    assert wid(shared) in slice_.graph


def test_a_hidden_or_missing_centre_is_not_found():
    hidden = ResearcherFactory(is_hidden=True)
    for params in (
        SliceParams("researcher", hidden.openalex_id),
        SliceParams("researcher", "A5999999999"),
        SliceParams("work", "W5999999999"),
        SliceParams("work", "not-an-id"),
        SliceParams("work", "9" * 30),
        SliceParams("researcher", "A1\x00"),
        SliceParams("topic", "T1; DROP TABLE"),
        SliceParams("topic", "T5999999"),
        SliceParams("institution", "I5999999"),
    ):
        with pytest.raises(SliceNotFound):
            slice_build(params)


def test_hidden_researchers_are_absent_around_every_kind_of_centre():
    topic = TopicFactory()
    place = InstitutionFactory()
    shown = ResearcherFactory(affiliation=place)
    hidden = ResearcherFactory(affiliation=place, is_hidden=True)
    hider = ResearcherFactory(affiliation=place)
    work = work_with_team(researchers=[shown, hidden, hider])
    HiddenWork.objects.create(researcher=hider, work=work)
    AuthorshipInstitutionFactory(
        authorship=work.authorships.get(researcher=shown), institution=place
    )
    WorkTopicFactory(work=work, topic=topic)
    for person in (shown, hidden, hider):
        ResearcherTopicFactory(researcher=person, topic=topic)

    around_work = slice_build(SliceParams("work", work.openalex_id))
    around_topic = slice_build(SliceParams("topic", topic.openalex_id))
    around_place = slice_build(SliceParams("institution", place.openalex_id))

    assert nodes_of(around_work, "researcher") == {rid(shown)}
    for slice_ in (around_topic, around_place):
        assert nodes_of(slice_, "researcher") == {rid(shown), rid(hider)}
        assert edge(slice_, rid(shown), wid(work))["kind"] == "authored"
        assert edge(slice_, rid(hider), wid(work)) is None


# --- filters ----------------------------------------------------------------------


def test_the_year_range_filters_works_and_what_they_bring():
    # Five works, 2020 to 2024, topic i mod 5 each.
    network = researcher_network(coauthors=10, team=3, topics=5)

    slice_ = researcher_slice(network.centre, year_min=2021, year_max=2022)

    assert nodes_of(slice_, "work") == {wid(w) for w in network.works[1:3]}
    assert nodes_of(slice_, "topic") == {tid(t) for t in network.topics[1:3]}
    assert "work" not in slice_.left_out
    # Coauthors are ranked on all their works together.
    assert len(nodes_of(slice_, "researcher")) == 10


def test_kinds_limit_the_nodes_shown():
    network = researcher_network(coauthors=6, team=4)
    slice_ = researcher_slice(network.centre, kinds=("researcher", "topic"))
    assert {kind for _, kind in slice_.graph.nodes(data="kind")} == {
        "researcher",
        "topic",
    }
    assert len(nodes_of(slice_, "researcher")) == 6


# --- other centres ----------------------------------------------------------------


def test_a_work_centre_shows_its_authors_topics_and_institutions():
    place, elsewhere = InstitutionFactory(), InstitutionFactory()
    first, second, third = (ResearcherFactory() for _ in range(3))
    work = work_with_team(researchers=[first, second, third], cited_by_count=340)
    AuthorshipFactory(work=work, researcher=None, position=9, raw_author_name="Bare")
    primary, secondary = TopicFactory(), TopicFactory()
    WorkTopicFactory(work=work, topic=secondary, score=0.99)
    WorkTopicFactory(work=work, topic=primary, score=0.5, is_primary=True)
    slot = work.authorships.get(researcher=first)
    AuthorshipInstitutionFactory(authorship=slot, institution=place)
    AuthorshipInstitutionFactory(
        authorship=work.authorships.get(researcher=second), institution=place
    )
    AuthorshipInstitutionFactory(authorship=slot, institution=elsewhere)

    slice_ = slice_build(
        SliceParams("work", work.openalex_id, max_coauthors=2, max_topics=1)
    )

    centre = slice_.graph.nodes[wid(work)]
    assert centre["is_centre"] and centre["detail"] == "2024 · 340 citations"
    assert nodes_of(slice_, "researcher") == {rid(first), rid(second)}  # byline
    assert nodes_of(slice_, "topic") == {tid(primary)}  # primary first
    assert nodes_of(slice_, "institution") == {iid(place), iid(elsewhere)}
    assert slice_.left_out == {"researcher": 1, "topic": 1}
    assert edge(slice_, wid(work), iid(place)) == {
        "kind": "affiliation",
        "weight": 2.0,
    }
    assert edge(slice_, rid(first), iid(elsewhere))["kind"] == "affiliation"
    assert edge(slice_, rid(second), iid(elsewhere)) is None
    assert edge(slice_, wid(work), rid(first))["kind"] == "authored"


def test_a_work_centre_at_depth_2_adds_its_authors_other_works():
    author = ResearcherFactory()
    work = work_with_team(researchers=[author, ResearcherFactory()])
    other = work_with_team(researchers=[author], cited_by_count=5)
    slice_ = slice_build(SliceParams("work", work.openalex_id, depth=2))
    assert nodes_of(slice_, "work") == {wid(other)}
    assert edge(slice_, rid(author), wid(other))["kind"] == "authored"


def test_a_topic_centre_shows_its_researchers_works_and_neighbours():
    topic, related = TopicFactory(), TopicFactory(field_name="Mathematics")
    place = InstitutionFactory()
    most, fewer = ResearcherFactory(affiliation=place), ResearcherFactory()
    ResearcherTopicFactory(researcher=most, topic=topic, count=5)
    ResearcherTopicFactory(researcher=fewer, topic=topic, count=3)
    cited = work_with_team(researchers=[most], cited_by_count=10)
    WorkTopicFactory(work=cited, topic=topic, score=0.8)
    WorkTopicFactory(work=cited, topic=related)
    WorkTopicFactory(work=WorkFactory(cited_by_count=1), topic=topic)

    slice_ = slice_build(SliceParams("topic", topic.openalex_id, max_works=1))

    assert slice_.graph.nodes[tid(topic)]["is_centre"]
    assert nodes_of(slice_, "researcher") == {rid(most), rid(fewer)}
    assert nodes_of(slice_, "work") == {wid(cited)}
    assert nodes_of(slice_, "topic") == {tid(related)}
    assert nodes_of(slice_, "institution") == {iid(place)}
    assert slice_.left_out == {"work": 1}
    assert edge(slice_, tid(topic), rid(most)) == {"kind": "topic", "weight": 5.0}
    assert edge(slice_, tid(topic), wid(cited)) == {"kind": "topic", "weight": 0.8}
    assert edge(slice_, rid(most), wid(cited))["kind"] == "authored"
    assert edge(slice_, rid(most), iid(place))["kind"] == "affiliation"


def test_an_institution_centre_shows_its_researchers_works_and_topics():
    place = InstitutionFactory()
    member = ResearcherFactory(affiliation=place, listed_works_count=3)
    visitor = ResearcherFactory()
    work = work_with_team(researchers=[visitor, member])
    AuthorshipInstitutionFactory(
        authorship=work.authorships.get(researcher=visitor), institution=place
    )
    topic = TopicFactory()
    WorkTopicFactory(work=work, topic=topic)

    slice_ = slice_build(SliceParams("institution", place.openalex_id))

    assert slice_.graph.nodes[iid(place)]["is_centre"]
    assert nodes_of(slice_, "researcher") == {rid(member)}
    assert nodes_of(slice_, "work") == {wid(work)}
    assert nodes_of(slice_, "topic") == {tid(topic)}
    assert edge(slice_, iid(place), rid(member))["kind"] == "affiliation"
    assert edge(slice_, iid(place), wid(work))["kind"] == "affiliation"
    assert edge(slice_, rid(member), wid(work))["kind"] == "authored"
    assert slice_.graph.nodes[rid(member)]["detail"] == "3 works"


# --- attributes, metrics and the nearest nodes ------------------------------------


def test_every_node_and_edge_carries_its_attributes():
    network = researcher_network(coauthors=6, team=4)
    slice_ = researcher_slice(network.centre, depth=2)
    types = {
        "kind": str,
        "label": str,
        "url": str,
        "degree": int,
        "tie": float,
        "betweenness": float,
        "x": float,
        "y": float,
        "detail": str,
        "is_centre": bool,
    }
    assert slice_.centre == rid(network.centre)
    for ident, attributes in slice_.graph.nodes(data=True):
        assert ident.startswith(attributes["kind"] + ":")
        for name, kind in types.items():
            assert type(attributes[name]) is kind, (ident, name)
        assert 0 <= attributes["x"] <= 1 and 0 <= attributes["y"] <= 1
        assert attributes["x"] == round(attributes["x"], 4)
        assert attributes["betweenness"] == round(attributes["betweenness"], 6)
        assert attributes["degree"] == slice_.graph.degree(ident)
        assert attributes["url"].startswith("/")
        assert attributes["is_centre"] == (ident == slice_.centre)
    for _, _, data in slice_.graph.edges(data=True):
        assert set(data) == {"kind", "weight"}
        assert type(data["weight"]) is float
    centre = slice_.graph.nodes[slice_.centre]
    assert (centre["x"], centre["y"]) == (0.5, 0.5)
    assert centre["url"] == f"/researchers/{network.centre.openalex_id}/"
    assert centre["betweenness"] == max(
        b for _, b in slice_.graph.nodes(data="betweenness")
    )
    # No two nodes on one spot.
    spots = [(a["x"], a["y"]) for _, a in slice_.graph.nodes(data=True)]
    assert len(set(spots)) == len(spots)
    assert all(
        math.dist(p, q) > 0.02 for i, p in enumerate(spots) for q in spots[i + 1 :]
    )


def test_the_nearest_nodes_are_the_centres_strongest_links():
    me, people = close_collaborator_world()
    slice_ = researcher_slice(me)

    nearest = slice_nearest(slice_, limit=3)

    assert len(nearest) == 3
    assert all(slice_.graph.has_edge(slice_.centre, node["id"]) for node in nearest)
    assert {"id", "label", "url", "kind", "detail", "degree", "weight"} <= set(
        nearest[0]
    )
    everyone = slice_nearest(slice_, limit=50)
    ids = [node["id"] for node in everyone]
    # Weights are compared within a kind of link (a tie of 0.5 is the
    # strongest coauthor, as a single authorship is the strongest work).
    coauthors = [node for node in everyone if node["edge_kind"] == "coauthor"]
    assert [node["id"] for node in coauthors[2:]] == [
        rid(people[name]) for name in "bcd"
    ]
    assert {node["id"] for node in coauthors[:2]} == {
        rid(people["a"]),
        rid(people["x"]),
    }
    assert coauthors[0]["weight"] == pytest.approx(0.5)
    assert ids.index(rid(people["a"])) < ids.index(rid(people["d"]))
    assert len(ids) == slice_.graph.degree(slice_.centre)
    assert slice_nearest(slice_, limit=0) == []


def test_a_work_without_an_openalex_id_is_a_centre_by_its_key():
    author = ResearcherFactory()
    preprint = work_with_team(
        researchers=[author], openalex_id=None, arxiv_id="2401.12345"
    )
    slice_ = slice_build(SliceParams("work", str(preprint.pk)))
    assert slice_.centre == f"work:{preprint.pk}"
    assert slice_.graph.nodes[slice_.centre]["url"] == "/works/arxiv/2401.12345/"
    assert nodes_of(slice_, "researcher") == {rid(author)}
