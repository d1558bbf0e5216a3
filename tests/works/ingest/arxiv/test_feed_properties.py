"""Properties of the arXiv feed parser (hypothesis): an Atom feed of random
entries (any part missing or wrong: ids, titles, dates, authors, markup and
LaTeX, huge text) gives, per entry, a record that fits its columns or a
rejection with a reason; and any bytes at all are either read as a feed or
refused as arXiv's (``SourceError``), never another exception. No
database."""

from xml.etree import ElementTree

from hypothesis import example, given
from hypothesis import strategies as st

from tests.helpers.arxiv_server import atom_feed, recorded_entries
from tests.helpers.ingest_properties import PURE, assert_storable, atom_entries
from works.ingest.arxiv.client import ATOM, normalize_entry, parse_feed
from works.ingest.http import SourceError
from works.ingest.records import RecordRejected

FEED = atom_feed([], total=0)


def with_total(count: bytes) -> bytes:
    total = b"<opensearch:totalResults>"
    return FEED.replace(total + b"0<", total + count + b"<")


@PURE
@given(entries=st.lists(atom_entries(), max_size=5))
def test_each_random_entry_is_a_record_or_a_rejection(entries):
    feed = parse_feed(atom_feed(entries, total=len(entries)), what="page 1")

    # Every entry is accounted for, in its place.
    assert feed.entry_count == len(entries)
    assert sorted([entry.position for entry in feed.rejected]) == [
        entry.position for entry in feed.rejected
    ]
    for record in feed.records:
        assert_storable(record)
        assert record.type == "preprint"
        assert record.landing_page_url == f"https://arxiv.org/abs/{record.arxiv_id}"
        assert record.title.strip() == record.title and record.title
    for entry in feed.rejected:
        assert entry.reason.strip()
        assert "\x00" not in entry.excerpt and len(entry.excerpt) <= 500


@PURE
@given(entry=atom_entries())
def test_normalize_entry_gives_a_record_or_rejects_it(entry):
    element = ElementTree.fromstring(
        f'<feed xmlns="{ATOM[1:-1]}" xmlns:arxiv="http://arxiv.org/schemas/atom">'
        f"{entry}</feed>"
    )[0]
    try:
        record = normalize_entry(element)
    except RecordRejected as exc:
        assert exc.reason.strip()
    else:
        assert_storable(record)


RECORDED = recorded_entries("q_testing_s0_m10.atom.xml")[0].encode()


@PURE
@given(
    content=st.one_of(
        st.binary(max_size=200),
        st.text(max_size=200).map(lambda text: text.encode("utf-8", "surrogatepass")),
        # A recorded feed cut anywhere, or with bytes replaced.
        st.integers(0, len(FEED) + len(RECORDED)).map(
            lambda cut: atom_feed([RECORDED.decode()], total=1)[:cut]
        ),
        st.tuples(st.integers(0, 600), st.binary(min_size=1, max_size=4)).map(
            lambda at_bytes: (
                atom_feed([RECORDED.decode()], total=1)[: at_bytes[0]]
                + at_bytes[1]
                + atom_feed([RECORDED.decode()], total=1)[at_bytes[0] + 1 :]
            )
        ),
    )
)
@example(content=b"")
@example(content=b"<!DOCTYPE html><html></html>")
@example(content=b'<?xml version="1.0" encoding="bogus"?><feed/>')
@example(content=b'<?xml version="1.0" encoding="utf-16"?><feed/>')
# Counts that are digits to str.isdigit but not to int().
@example(content=with_total("²".encode()))
@example(content=with_total(b"9" * 5000))
def test_any_bytes_are_a_feed_or_refused_as_arxivs(content):
    try:
        feed = parse_feed(content, what="page 1")
    except SourceError as exc:
        assert exc.reason.startswith(("arXiv answered page 1 with", "arXiv refused"))
    else:
        for record in feed.records:
            assert_storable(record)
