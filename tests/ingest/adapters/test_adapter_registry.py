"""The adapter registry: names, lookup errors, and that every adapter describes itself."""

from __future__ import annotations

import pytest

from filon.errors import UsageError
from filon.ingest.adapters import Adapter, get_adapter, list_adapters
from filon.standard import load_standard

NAMES = ["comtrade", "pe_customs", "pe_reinfo", "worldbank_prices", "geojson_areas", "geojson_detections",
         "opensanctions_ftm", "bods", "gpx_tracks", "nmea", "traccar"]


def test_list_adapters_in_registry_order() -> None:
    adapters = list_adapters()
    assert [a.name for a in adapters] == NAMES
    assert all(isinstance(a, Adapter) for a in adapters)


@pytest.mark.parametrize("name", NAMES)
def test_each_adapter_is_described(name: str) -> None:
    adapter = get_adapter(name)
    assert adapter.name == name
    assert adapter.title and "\n" not in adapter.title and len(adapter.title) < 100
    assert len(adapter.description) > 200
    assert adapter.tables and set(adapter.tables) <= set(load_standard().names)
    assert callable(adapter.convert)


def test_lookup_ignores_case_and_dashes() -> None:
    assert get_adapter("PE-Customs").name == "pe_customs"


def test_unknown_adapter_lists_known_names() -> None:
    with pytest.raises(UsageError) as err:
        get_adapter("sunat")
    assert "sunat" in str(err.value)
    for name in NAMES:
        assert name in str(err.value)


@pytest.mark.parametrize("name", NAMES)
def test_missing_source_is_a_usage_error(name: str, tmp_path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        get_adapter(name).convert(tmp_path / "nowhere.csv", tmp_path / "out")


def test_empty_folder_is_a_usage_error(tmp_path) -> None:
    (tmp_path / "in").mkdir()
    with pytest.raises(UsageError, match="holds no"):
        get_adapter("comtrade").convert(tmp_path / "in", tmp_path / "out")
