"""The plugin's options, declared once: the MkDocs config, the core and the CLI agree on them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from pmarchive.cli import main
from pmarchive.plugin import PostmortemsConfig
from pmarchive.settings import PLUGIN_OPTIONS, SettingsError, read_settings
from pmarchive.site.templating import FRAGMENT_PREFIX

from .conftest import BASE_PM, front_matter, write
from .sites import MKDOCS_YML, build_config, build_site, copy_example

ROOT = Path(__file__).resolve().parent.parent


def test_the_mkdocs_config_is_built_from_the_options_table() -> None:
    config = PostmortemsConfig()
    config.load_dict({})
    errors, warnings = config.validate()
    assert errors == [] and warnings == []
    assert set(config) == {option.name for option in PLUGIN_OPTIONS}
    for option in PLUGIN_OPTIONS:
        assert config[option.name] == option.default, option.name


def test_every_option_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [o.name for o in PLUGIN_OPTIONS if f"{o.name}:" not in readme]
    assert missing == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"postmortem_dir": "x"}, "did you mean 'postmortems_dir'?"),
        ({"enabled": "yes"}, "enabled: expected true or false"),
        ({"max_nesting": True}, "max_nesting: expected a whole number"),
        ({"extra_fields": "jira"}, "extra_fields: expected a list"),
        ({"lints": {"disabel": ["blame"]}}, "did you mean 'disable'?"),
        ({"lints": {"enabled": ["blam"]}}, "did you mean 'blame'?"),
        ({"risk_weights": {"recent_day": 30}}, "did you mean 'recent_days'?"),
        ({"risk_weights": {"w_usd": "lots"}}, "w_usd: expected a number"),
        ({"risk_weights": {"sev_weight": [1, 2]}}, "sev_weight: expected a mapping"),
        ({"audience": "al"}, "not one of public, internal, restricted"),
        ({"postmortem_id_pattern": "INC-("}, "not a valid regular expression"),
    ],
)
def test_bad_options_name_the_fix(tmp_path: Path, options: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=None) as caught:
        read_settings(tmp_path, options)
    assert message in str(caught.value)


def test_settings_carry_typed_sub_configs(tmp_path: Path) -> None:
    settings = read_settings(
        tmp_path,
        {
            "today": "2026-11-24",
            "lints": {"disable": ["blame"], "max_action_items": 12},
            "risk_weights": {"w_usd": 2, "sev_weight": {1: 50, 2: 10}},
            "audience": "public",
        },
    )
    assert settings.archive.today.isoformat() == "2026-11-24"
    assert "blame" not in settings.archive.lints.enabled
    assert settings.archive.lints.max_action_items == 12
    assert settings.risk_weights.w_usd == 2.0 and settings.risk_weights.weight_of(1) == 50.0
    assert settings.index_dir("public") == tmp_path / ".pmarchive/search-index/public"


def test_enabled_false_builds_the_site_without_the_archive(archive_root: Path) -> None:
    write(archive_root, "postmortems/INC-2026-05-29-001.md", front_matter(BASE_PM, sev="9"))
    yml = MKDOCS_YML.replace('today: "2026-11-24"', 'today: "2026-11-24"\n      enabled: false')
    site = build_site(archive_root, yml)  # the broken record is not even read
    assert (site / "index.html").is_file()
    assert not (site / "postmortems").exists() and not (site / "classes").exists()


def test_render_writes_what_the_plugin_adds_to_a_build(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "example")
    out = tmp_path / "pages"
    result = CliRunner().invoke(main, ["render", "--root", str(root), str(out)])
    assert result.exit_code == 0, result.output
    config = build_config(root / "mkdocs.yml", tmp_path / "site", strict=False)
    generated = config.plugins["postmortems"].generated
    assert generated is not None and len(generated.pages) > 60
    for rel, text in generated.pages.items():
        written = (out / rel).read_text(encoding="utf-8")
        if rel in generated.record_uris:  # render writes the header block into each record page
            meta_end = text.index("\n---\n", 3) + 5
            assert written.startswith(text[:meta_end] + '\n<div class="pm-header"'), rel
            assert written.endswith(text[meta_end:]), rel
        elif FRAGMENT_PREFIX in text:  # index pages: render writes their tables and cards in
            assert FRAGMENT_PREFIX not in written, rel
            position = 0
            for part in re.split(FRAGMENT_PREFIX + r"[0-9a-f]+-[0-9]+", text):
                position = written.index(part, position) + len(part)
        else:
            assert written == text, rel
    for rel, text in generated.data_files.items():
        assert (out / rel).read_text(encoding="utf-8") == text, rel
    assert (out / "assets/pmarchive/plotly.min.js").stat().st_size > 1_000_000
    # and nothing is ever overwritten
    again = CliRunner().invoke(main, ["render", "--root", str(root), str(out)])
    assert again.exit_code == 1 and "not empty" in again.output
