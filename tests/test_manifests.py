"""The manifest reader refuses every unusable manifest with a message naming the file, what is
wrong and what was expected (corridorsim.manifests)."""

from __future__ import annotations

import json

import pytest

from corridorsim import manifests
from corridorsim.errors import OutputError
from corridorsim.manifests import read_manifest, read_results_csv

WHAT = "a sweep results directory"


@pytest.mark.parametrize(("content", "fragment"), [
    (b"garbage", "not valid JSON (line 1, column 1"),
    (b'{"factors": [1,', "not valid JSON (line 1, column"),
    (b"\xff\xfe{}", "not UTF-8 text (byte 0)"),
    (b"\x00\x01\x02", "not valid JSON"),
    (b"[" * 200_000 + b"]" * 200_000, "nested too deeply"),
    (b"[1, 2]", "top level is a JSON list, not an object"),
    (b'"text"', "top level is a JSON str, not an object"),
    (b"{}", "field 'factors' is missing"),
    (b'{"spec": {}}', "field 'factors' is missing"),
])
def test_unusable_manifest_is_refused_with_what_and_why(tmp_path, content, fragment):
    path = tmp_path / "sweep.json"
    path.write_bytes(content)
    with pytest.raises(OutputError) as err:
        read_manifest(path, WHAT, ("factors",))
    message = str(err.value)
    assert message.startswith(f"{path}: ")
    assert fragment in message
    assert message.endswith(f"expected the JSON manifest that corridorsim writes in {WHAT}")
    assert "\n" not in message


def test_missing_manifest_names_the_directory(tmp_path):
    with pytest.raises(OutputError, match=r"not a sweep results directory \(no sweep.json\)$"):
        read_manifest(tmp_path / "sweep.json", WHAT)


def test_oversized_manifest_is_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(manifests, "MAX_MANIFEST_BYTES", 10)
    path = tmp_path / "sweep.json"
    path.write_text(json.dumps({"factors": ["a", "b", "c"]}))
    with pytest.raises(OutputError, match=r"bytes, larger than any manifest \(10 at most\)"):
        read_manifest(path, WHAT)


def test_good_manifest_comes_back_whole(tmp_path):
    data = {"factors": ["x"], "spec": {"keep": []}, "nested": {"a": [1, 2.5, None]}}
    path = tmp_path / "sweep.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert read_manifest(path, WHAT, ("factors", "spec")) == data


@pytest.mark.parametrize(("content", "fragment"), [
    (b"", "not a table corridorsim wrote (No columns to parse from file)"),
    (b'a,b\n1,2,3,4\n"unclosed', "not a table corridorsim wrote (Error tokenizing data"),
    (b"\xff\xfe\x00\x81\x82", "not a table corridorsim wrote"),
])
def test_unreadable_results_table_is_refused(tmp_path, content, fragment):
    path = tmp_path / "design.csv"
    path.write_bytes(content)
    with pytest.raises(OutputError) as err:
        read_results_csv(path, WHAT)
    assert str(err.value).startswith(f"{path}: {fragment}")
    assert str(err.value).endswith(f"expected the CSV file of {WHAT}")


def test_missing_results_table_is_an_incomplete_directory(tmp_path):
    with pytest.raises(OutputError, match=r"incomplete results \(design.csv is missing\); "
                                          r"expected a sweep results directory$"):
        read_results_csv(tmp_path / "design.csv", WHAT)
