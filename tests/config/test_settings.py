"""Settings read once while their section is unchanged, and again as soon as anything they are read from changes:
a value set or removed, a configuration read anew, the command line of a run, an environment variable a value names."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from luigi.cmdline_parser import CmdlineParser
from luigi.configuration import LuigiConfigParser

from config.settings import warehouse
from tests.conftest import Settings


class CountingParser(LuigiConfigParser):
    """The real parser, counting the values asked of it."""

    asked = 0

    def get(self, *args: Any, **kwargs: Any) -> Any:
        CountingParser.asked += 1
        return super().get(*args, **kwargs)


@pytest.fixture
def counting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CountingParser]:
    """A configuration of its own, read from a file: Luigi's is left as it was."""
    path = tmp_path / "luigi.cfg"
    path.write_text("[warehouse]\nmarker_table = raw.pipeline.counted\n")
    parser = CountingParser()
    parser.read([path])
    monkeypatch.setattr(LuigiConfigParser, "_instance", parser)
    CountingParser.asked = 0
    yield parser


def test_an_unchanged_section_is_read_once(counting: CountingParser) -> None:
    assert warehouse().marker_table == "raw.pipeline.counted"
    asked = CountingParser.asked
    assert asked > 0
    for _ in range(5):
        assert warehouse().marker_table == "raw.pipeline.counted"
    assert CountingParser.asked == asked


def test_a_value_set_or_removed_is_seen(settings: Settings) -> None:
    default = warehouse().marker_table
    settings.set("warehouse", "marker_table", "raw.elsewhere.markers")
    assert warehouse().marker_table == "raw.elsewhere.markers"
    settings.config.remove_option("warehouse", "marker_table")
    assert warehouse().marker_table == default


def test_a_configuration_read_anew_is_seen(counting: CountingParser, tmp_path: Path) -> None:
    assert warehouse().marker_table == "raw.pipeline.counted"
    other = tmp_path / "other.cfg"
    other.write_text("[warehouse]\nmarker_table = raw.pipeline.other\n")
    counting.read([other])
    assert warehouse().marker_table == "raw.pipeline.other"


def test_another_configuration_is_seen(counting: CountingParser, monkeypatch: pytest.MonkeyPatch) -> None:
    assert warehouse().marker_table == "raw.pipeline.counted"
    monkeypatch.setattr(LuigiConfigParser, "_instance", LuigiConfigParser())  # read from no file
    assert warehouse().marker_table == "raw.pipeline.markers"  # the class's default


def test_the_command_line_of_a_run_is_seen() -> None:
    default = warehouse().marker_table
    with CmdlineParser.global_instance(["WrapperTask", "--warehouse-marker-table", "raw.cli.markers"]):
        assert warehouse().marker_table == "raw.cli.markers"
    assert warehouse().marker_table == default


def test_an_environment_variable_named_by_a_value_is_seen(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIZOPS_TEST_MARKERS", "raw.one.markers")
    settings.set("warehouse", "marker_table", "${BIZOPS_TEST_MARKERS}")
    assert warehouse().marker_table == "raw.one.markers"
    monkeypatch.setenv("BIZOPS_TEST_MARKERS", "raw.two.markers")
    assert warehouse().marker_table == "raw.two.markers"
