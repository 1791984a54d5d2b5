"""Settings: one validator for every option, exact round trips, and the command line built from them."""

from __future__ import annotations

import dataclasses
import json
import pickle
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import dedup
import dedup.stages
from dedup import Settings, SettingsError
from dedup.__main__ import build_parser, main

# For every setting, values it must refuse: wrong type, out of range, not a choice.
BAD_VALUES = {
    "unit": ["page", 1, None],
    "threshold": [0.0, 1.0, -0.1, "0.6", float("nan"), True],
    "shingle": ["char", "char:0", "chars:5", "word:x", 5],
    "user_dict": [3, b"dict.txt", "", "  "],
    "casefold": [1, "yes", None],
    "punctuation": [0, "no"],
    "digits": [1.0, None],
    "traditional": ["true"],
    "repair_breaks": [1],
    "min_chars": [0, -3, 2.5, "8", float("nan")],
    "max_chars": [0, 1.5, "big"],
    "num_perm": [1, 5000, 128.0],
    "seed": [-1, 2**64, 1.5],
    "max_bucket": [1, 0, "100"],
    "verify": ["false", 0],
    "containment": [None, 1],
    "contained_ratio": [0.0, 1.01, float("inf"), "0.8"],
    "extra_block_chars": [0, -1, 40.0],
    "own_block_chars": [0, -1, 20.0, "20"],
    "keep": ["last", 3, None],
    "clusters": ["chains", None],
    "boilerplate": ["drop", True],
    "boilerplate_chars": [0, "32"],
    "boilerplate_docs": [1, 0, 2.0],
}


def test_every_setting_has_bad_values_listed():
    assert set(BAD_VALUES) == set(Settings.names())


@pytest.mark.parametrize(("name", "value"), [(n, v) for n, values in BAD_VALUES.items() for v in values])
def test_every_bad_value_is_refused_naming_the_setting(name, value):
    with pytest.raises(SettingsError, match=rf"^{name} ") as info:
        Settings(**{name: value})
    assert isinstance(info.value, ValueError)
    # The same error through find_duplicates and the command line.
    with pytest.raises(SettingsError, match=name):
        dedup.find_duplicates([("a", "x")], **{name: value})


def test_a_threshold_of_one_says_how_to_keep_only_exact_duplicates():
    with pytest.raises(SettingsError, match=r"not 1\.0; exact duplicates are found at any threshold.*--level exact"):
        Settings(threshold=1.0)


def test_a_toml_file_with_settings_in_and_out_of_its_table_is_refused(tmp_path):
    # threshold = 0.5 above a [settings] table was dropped without a word (the table alone was read).
    toml = tmp_path / "c.toml"
    toml.write_text("threshold = 0.5\n[settings]\nunit = 'sentence'\n", "utf-8")
    with pytest.raises(SettingsError, match=r"c\.toml: threshold outside the \[settings\] table"):
        Settings.from_file(toml)
    toml.write_text("[settings]\nunit = 'sentence'\n[other]\nx = 1\n", "utf-8")
    with pytest.raises(SettingsError, match="other outside"):
        Settings.from_file(toml)
    toml.write_text("[settings]\nthreshold = 0.5\nunit = 'sentence'\n", "utf-8")
    assert (Settings.from_file(toml).threshold, Settings.from_file(toml).unit) == (0.5, "sentence")


def test_help_of_settings_says_what_each_does():
    # help(Settings) listed names and defaults only; what each does was in the command's --help alone.
    from dedup._settings import option_specs

    doc = Settings.__doc__ or ""
    for name, _, spec in option_specs():
        assert f"``{name}`` = " in doc and spec.doc in doc, name


def test_cross_field_rule():
    with pytest.raises(SettingsError, match="max_chars"):
        Settings(min_chars=10, max_chars=5)


def test_unknown_setting_is_named():
    with pytest.raises(SettingsError, match="thresold"):
        dedup.find_duplicates([("a", "x")], thresold=0.5)


settings_values = st.builds(
    Settings,
    unit=st.sampled_from(["paragraph", "sentence", "document"]),
    threshold=st.floats(0.01, 0.99),
    shingle=st.sampled_from(["char:3", "char:5", "word:2", "mixed:4"]),
    casefold=st.booleans(), punctuation=st.booleans(), digits=st.booleans(),
    min_chars=st.integers(1, 50), num_perm=st.integers(2, 256), seed=st.integers(0, 2**64 - 1),
    keep=st.sampled_from(["first", "longest"]), clusters=st.sampled_from(["centres", "components"]),
    boilerplate=st.sampled_from(["mark", "ignore", "remove"]),
)


@given(settings_values)
def test_round_trips_are_exact(s):
    assert Settings.from_dict(json.loads(json.dumps(s.to_dict()))) == s
    assert pickle.loads(pickle.dumps(s)) == s


def test_derived_values():
    s = Settings(threshold=0.5, shingle="word:2")
    assert (s.bands, s.rows) == dedup.stages.optimal_params(0.5, 128)
    assert s.shingler.kind == "word" and s.shingler.n == 2
    assert s.normalizer.keep_spaces  # word shingles need the spaces between words


def test_settings_and_overrides_combine():
    base = Settings(threshold=0.5)
    result = dedup.find_duplicates([("a", "同一段文字出现了两次"), ("b", "同一段文字出现了两次")], base, unit="document")
    assert result.settings == base.replace(unit="document")
    with pytest.raises(SettingsError, match=r"dedup\.Settings"):
        dedup.find_duplicates([("a", "x")], {"threshold": 0.5})  # type: ignore[arg-type]


def test_report_config_is_the_whole_settings(seeds, tmp_path):
    target = tmp_path / "r.json"
    assert main([str(seeds), "--json", str(target), "--quiet", "--no-verify", "--threshold", "0.7"]) == 0
    config = json.loads(target.read_text("utf-8"))["config"]
    assert config == Settings(verify=False, threshold=0.7).to_dict()
    assert {"max_chars", "max_bucket", "user_dict"} <= set(config)


def test_config_round_trip_repeats_the_run(seeds, tmp_path):
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    assert main([str(seeds), "--json", str(first), "--quiet", "--threshold", "0.5", "--keep", "longest",
                 "--unit", "sentence", "--no-containment"]) == 0
    assert main([str(seeds), "--json", str(second), "--quiet", "--config", str(first)]) == 0
    a, b = json.loads(first.read_text("utf-8")), json.loads(second.read_text("utf-8"))
    assert a["config"] == b["config"] and a["config"]["threshold"] == 0.5
    assert a["pairs"] == b["pairs"] and a["clusters"] == b["clusters"]


def test_toml_config_and_command_line_precedence(seeds, tmp_path, capsys):
    toml = tmp_path / "dedup.toml"
    toml.write_text('threshold = 0.5\nunit = "sentence"\n', "utf-8")
    target = tmp_path / "r.json"
    assert main([str(seeds), "--json", str(target), "--quiet", "--config", str(toml), "--unit", "paragraph"]) == 0
    config = json.loads(target.read_text("utf-8"))["config"]
    assert (config["threshold"], config["unit"]) == (0.5, "paragraph")
    toml.write_text('threshold = "high"\n', "utf-8")
    assert main([str(seeds), "--quiet", "--config", str(toml)]) == 1
    toml.write_text("threshold = 1.7\n", "utf-8")  # a bad value: the message names the file it came from
    capsys.readouterr()
    assert main([str(seeds), "--quiet", "--config", str(toml)]) == 1
    assert f"--config {toml}: threshold must be" in capsys.readouterr().err


def test_no_verify_says_so(seeds, tmp_path, capsys):
    # The answer changes without verification: the report and a cleaning say it is made of estimates.
    assert main([str(seeds), "--no-verify", "--clean", str(tmp_path / "out")]) == 0
    said = capsys.readouterr()
    assert said.out.splitlines()[1].startswith("(unverified: similarities are MinHash estimates")
    assert "warning: --no-verify: passages are removed by their MinHash estimate" in said.err
    assert main([str(seeds)]) == 0
    assert "unverified" not in capsys.readouterr().out


def test_no_verify_reports_estimates(seeds):
    verified = dedup.find_duplicates(seeds, threshold=0.5)
    estimated = dedup.find_duplicates(seeds, threshold=0.5, verify=False)
    assert {p.kind for p in estimated.pairs} <= {"exact", "near"}
    near = [p for p in estimated.pairs if p.kind == "near"]
    assert near and all(p.similarity >= 0.5 and p.containment_ab != p.containment_ab for p in near)  # NaN: unknown
    exact = {(p.a.doc, p.a.index, p.b.doc, p.b.index) for p in verified.pairs if p.kind == "exact"}
    assert exact == {(p.a.doc, p.a.index, p.b.doc, p.b.index) for p in estimated.pairs if p.kind == "exact"}


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"dedup {dedup.__version__}"


def test_a_folder_named_like_a_command_is_scannable(seeds, tmp_path, monkeypatch, capsys):
    shutil.copytree(seeds, tmp_path / "restore", ignore=shutil.ignore_patterns("*.jsonl", "*.json", "*.md"))
    monkeypatch.chdir(tmp_path)
    assert main(["scan", "restore", "--quiet"]) == 0
    assert main(["scan", "restore"]) == 0
    assert capsys.readouterr().out.startswith("5 documents")


def test_internal_errors_are_not_usage_errors(seeds, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("dedup.__main__.clean", broken)
    with pytest.raises(RuntimeError):
        main([str(seeds), "--quiet"])


def _help_options() -> set[str]:
    """Every option of the command line, subcommands (and theirs) included."""
    import argparse

    found: set[str] = set()
    parsers = [build_parser()]
    while parsers:
        parser = parsers.pop()
        for action in parser._actions:
            if action.help != argparse.SUPPRESS:  # hidden aliases (--glob) are not documented
                found |= {o for o in action.option_strings if o.startswith("--")}
            if isinstance(action, argparse._SubParsersAction):
                parsers += list(action.choices.values())
    return found - {"--help"}


def test_help_and_readme_list_the_same_options():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    # Options of the benchmark scripts are not the command line's.
    readme = "\n".join(line for line in readme.splitlines() if "benchmarks/" not in line)
    documented = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", readme))
    assert _help_options() - documented == set(), "options missing from the README"
    assert documented - _help_options() == set(), "README names options the command line does not have"


def test_settings_fields_each_have_an_option():
    assert {("--" + f.name.replace("_", "-")) for f in dataclasses.fields(Settings)} - _help_options() == set()
    switches = [f.name.replace("_", "-") for f in dataclasses.fields(Settings) if f.type in ("bool", bool)]
    assert {f"--no-{name}" for name in switches} - _help_options() == set()  # each turned either way


def test_a_config_value_is_turned_back_on_the_command_line(tmp_path):
    from dedup.__main__ import build_parser
    from dedup._cli import settings_from

    (tmp_path / "c.toml").write_text("casefold = false\npunctuation = true\n", "utf-8")
    args = build_parser().parse_args(["scan", "x", "--config", str(tmp_path / "c.toml"), "--casefold",
                                      "--no-punctuation"])
    assert (settings_from(args).casefold, settings_from(args).punctuation) == (True, False)


def test_numpy_numbers_are_taken_as_plain_ones():
    import numpy as np

    s = Settings(threshold=np.float64(0.5), min_chars=np.int64(5), verify=np.bool_(True))
    assert (type(s.threshold), type(s.min_chars), type(s.verify)) == (float, int, bool)
    assert s == Settings(threshold=0.5, min_chars=5) and Settings.from_dict(s.to_dict()) == s
    for array in (np.array([128]), np.array([128, 3])):  # arrays are no numbers
        with pytest.raises(SettingsError, match="num_perm must be"):
            Settings(num_perm=array)
