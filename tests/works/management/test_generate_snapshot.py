"""``manage.py generate_snapshot``: a synthetic snapshot that the real loader
(``load_openalex_snapshot``) takes whole, with the expected counts."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from profiles.models import Researcher
from works.models import ImportRun, Work

pytestmark = pytest.mark.django_db(transaction=True)


def generate(out, *arguments) -> str:
    output = StringIO()
    call_command("generate_snapshot", str(out), *map(str, arguments), stdout=output)
    return output.getvalue()


def load(path) -> str:
    output = StringIO()
    call_command("load_openalex_snapshot", str(path), "--sync-trust", stdout=output)
    return output.getvalue()


def test_the_loader_loads_a_generated_snapshot_whole(tmp_path):
    out = tmp_path / "snapshot"
    generated = generate(
        out, "--works", 300, "--authors", 120, "--seed", 7, "--part-size", 100
    )
    rows = [line.split() for line in generated.splitlines()[2:7]]
    assert [row[:3] for row in rows[:2]] == [
        ["works", "300", "3"],
        ["authors", "120", "2"],
    ]
    counts = {row[0]: int(row[1]) for row in rows}

    output = load(out)

    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.SUCCEEDED
    assert run.rejected_count == 0
    assert run.rejected.count() == 0
    assert {
        entity: (numbers["created"], numbers["rejected"])
        for entity, numbers in run.counts.items()
    } == {entity: (count, 0) for entity, count in counts.items()}
    assert "warning" not in output
    assert Work.objects.count() == 300
    assert Researcher.objects.count() == 120
    # Each researcher's works count (from the authors file) is the number of
    # works the works files link them to.
    linked = dict(
        Researcher.objects.annotate(
            linked=Count("authorships__work", distinct=True)
        ).values_list("openalex_id", "linked")
    )
    stated = dict(Researcher.objects.values_list("openalex_id", "works_count"))
    assert stated == linked
    # arXiv preprints are OpenAlex works, some grouped with their article.
    assert Work.objects.filter(type="preprint", arxiv_id__isnull=False).exists()
    assert Work.objects.filter(canonical__isnull=False).exists()
    assert Work.objects.filter(author_count__gt=100).exists()


def test_a_second_load_changes_nothing(tmp_path):
    out = tmp_path / "snapshot"
    generate(out, "--works", 60, "--authors", 30, "--seed", 2, "--jobs", 1)
    load(out)

    load(out)

    second = ImportRun.objects.order_by("-pk").first()
    assert second.status == ImportRun.Status.SUCCEEDED
    assert (second.created_count, second.updated_count, second.rejected_count) == (
        0,
        0,
        0,
    )


def test_the_command_refuses_a_folder_with_files(tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")

    with pytest.raises(CommandError, match="is not empty"):
        generate(tmp_path, "--works", 10, "--authors", 5)

    assert sorted(path.name for path in tmp_path.iterdir()) == ["notes.txt"]


def test_the_command_refuses_sizes_it_cannot_make(tmp_path):
    with pytest.raises(CommandError, match="--works"):
        generate(tmp_path / "out", "--works", 0, "--authors", 5)
    assert not (tmp_path / "out").exists()
