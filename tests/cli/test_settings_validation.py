"""Bad settings are refused when they are given, in the person's own words, and change
nothing — not at the next label."""

from __future__ import annotations

from pathlib import Path

from conftest import Run


def test_a_country_that_does_not_exist_is_refused_at_setup(ready: Run, cdtui_home: Path) -> None:
    before = (cdtui_home / "config.json").read_bytes()
    r = ready("setup", "--sender-country", "ZZ")
    assert r.code == 2
    assert "The sender country (--sender-country)" in r.err and "'ZZ'" in r.err
    assert (cdtui_home / "config.json").read_bytes() == before


def test_messages_name_the_option_not_the_internal_field(ready: Run) -> None:
    for value in ("abc", "1e3", "nan"):
        r = ready("setup", "--default-weight", value)
        assert r.code == 2
        assert "The default weight (--default-weight)" in r.err
        assert "default_weight_kg" not in r.err and "valid decimal" not in r.err


def test_an_unknown_default_shipping_option_is_refused_when_saved(ready: Run) -> None:
    r = ready("integration", "update", "1", "--shipping-option", "colissimo:hom")
    assert r.code == 2
    assert "offers no shipping option 'colissimo:hom'" in r.err and "colissimo:home" in r.err
    [integ] = ready("integrations", "--json").json()  # type: ignore[misc]
    assert integ["default_shipping_option"] is None
    # an option that serves abroad only is known too
    assert ready("integration", "update", "1", "--shipping-option", "ups:standard").code == 0
    assert ready("integration", "update", "1", "--shipping-option", "").code == 0  # cleared
