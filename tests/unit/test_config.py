"""Settings: precedence env > file > default, 0600 secrets, clear errors on bad files."""

from __future__ import annotations

import os
import stat
from decimal import Decimal
from pathlib import Path

import orjson
import pytest

from cdtui.config import (
    Settings,
    env_var,
    load_settings,
    resolve_home,
    save_settings,
)
from cdtui.errors import ConfigError

SECRET = "s3cr3t-value-never-shown"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No CDTUI_* variable from the developer's shell leaks into these tests."""
    for name in list(os.environ):
        if name.upper().startswith("CDTUI_"):
            monkeypatch.delenv(name)


def write(path: Path, data: object) -> bytes:
    raw = orjson.dumps(data)
    path.write_bytes(raw)
    return raw


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ---------------------------------------------------------------- home and defaults


def test_defaults_and_paths(tmp_path: Path) -> None:
    s = load_settings(tmp_path)
    assert s.home == tmp_path
    assert s.octopia_api_url == "https://api.octopia-io.net/seller/v2"
    assert s.sendcloud_api_url == "https://panel.sendcloud.sc/api/v3"
    assert s.sync_interval == 600
    assert s.sender_country == "FR"
    assert s.default_weight_kg == Decimal("1.0")
    assert s.label_format == "pdf"
    assert s.labels_dir == tmp_path / "labels"
    assert s.data_dir == tmp_path / "data"
    assert s.log_dir == tmp_path / "logs"
    assert s.missing_for_octopia() == ["octopia_client_id", "octopia_client_secret"]
    assert s.missing_for_sendcloud() == ["sendcloud_public_key", "sendcloud_secret_key"]
    assert list(tmp_path.iterdir()) == []  # loading never writes


def test_home_comes_from_argument_then_env_then_platform(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CDTUI_HOME", str(tmp_path / "from-env"))
    assert resolve_home() == tmp_path / "from-env"
    assert resolve_home(tmp_path / "explicit") == tmp_path / "explicit"
    assert load_settings().home == tmp_path / "from-env"
    monkeypatch.delenv("CDTUI_HOME")
    assert resolve_home().name == "cdtui"
    assert resolve_home().is_absolute()


def test_relative_labels_dir_is_under_home(tmp_path: Path) -> None:
    write(tmp_path / "config.json", {"labels_dir": "out/labels"})
    assert load_settings(tmp_path).labels_dir == tmp_path / "out" / "labels"


# ---------------------------------------------------------------- precedence


def test_env_beats_file_beats_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings(tmp_path).sync_interval == 600
    write(tmp_path / "config.json", {"sync_interval": 900, "sender_country": "be"})
    assert load_settings(tmp_path).sync_interval == 900
    assert load_settings(tmp_path).sender_country == "BE"
    monkeypatch.setenv("CDTUI_SYNC_INTERVAL", "1200")
    s = load_settings(tmp_path)
    assert s.sync_interval == 1200
    assert s.sender_country == "BE"  # untouched by the environment


def test_env_secret_beats_secrets_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secrets.json"
    write(path, {"sendcloud_secret_key": "from-file"})
    path.chmod(0o600)
    assert load_settings(tmp_path).sendcloud_secret_key.get_secret_value() == "from-file"
    monkeypatch.setenv("CDTUI_SENDCLOUD_SECRET_KEY", "from-env")
    assert load_settings(tmp_path).sendcloud_secret_key.get_secret_value() == "from-env"


def test_explicit_overrides_beat_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDTUI_OCTOPIA_CLIENT_ID", "env-id")
    assert load_settings(tmp_path).octopia_client_id == "env-id"
    assert load_settings(tmp_path, octopia_client_id="cli-id").octopia_client_id == "cli-id"


def test_empty_env_variable_counts_as_unset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "config.json", {"sender_postal_code": "75002"})
    monkeypatch.setenv("CDTUI_SENDER_POSTAL_CODE", "")
    assert load_settings(tmp_path).sender_postal_code == "75002"


def test_product_environment_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "CDTUI_OCTOPIA_AUTH_URL": "http://127.0.0.1:9/auth/token",
        "CDTUI_OCTOPIA_API_URL": "http://127.0.0.1:9/seller/v2/",
        "CDTUI_OCTOPIA_CLIENT_ID": "agg",
        "CDTUI_OCTOPIA_CLIENT_SECRET": SECRET,
        "CDTUI_SENDCLOUD_API_URL": "http://127.0.0.1:9/api/v3",
        "CDTUI_SENDCLOUD_PUBLIC_KEY": "pub",
        "CDTUI_SENDCLOUD_SECRET_KEY": SECRET,
        "CDTUI_SENDER_ADDRESS_ID": "192",
        "CDTUI_SENDER_COUNTRY": "de",
        "CDTUI_SENDER_POSTAL_CODE": "10115",
        "CDTUI_SYNC_INTERVAL": "60",
        "CDTUI_CARRIER_MAP": '{"colissimo": "Colissimo"}',
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    s = load_settings(tmp_path)
    assert s.octopia_api_url == "http://127.0.0.1:9/seller/v2"  # trailing slash dropped
    assert s.sender_address_id == 192
    assert s.sender_country == "DE"
    assert s.sync_interval == 60
    assert s.carrier_map == {"colissimo": "Colissimo"}
    assert s.missing_for_octopia() == [] and s.missing_for_sendcloud() == []
    assert s.secret_values() == [SECRET, SECRET]


# ---------------------------------------------------------------- save


def test_save_then_load_round_trips_and_keeps_secrets_private(tmp_path: Path) -> None:
    home = tmp_path / "home"
    s = Settings(
        home=home,
        octopia_client_id="agg",
        octopia_client_secret=SECRET,
        sendcloud_public_key="pub",
        sendcloud_secret_key="sc-" + SECRET,
        sender_address_id=192,
        default_weight_kg=Decimal("0.75"),
        label_format="zpl",
        print_command="lp -d zebra {path}",
    )
    save_settings(s)
    secrets_file, config_file = home / "secrets.json", home / "config.json"
    assert mode(secrets_file) == 0o600
    config_text = config_file.read_text()
    assert SECRET not in config_text
    assert orjson.loads(secrets_file.read_bytes()) == {
        "octopia_client_secret": SECRET,
        "sendcloud_secret_key": "sc-" + SECRET,
    }
    # only what differs from the defaults is written
    assert orjson.loads(config_text) == {
        "default_weight_kg": "0.75",
        "label_format": "zpl",
        "octopia_client_id": "agg",
        "print_command": "lp -d zebra {path}",
        "sender_address_id": 192,
        "sendcloud_public_key": "pub",
    }
    again = load_settings(home)
    assert again.model_dump() == s.model_dump()
    assert again.octopia_client_secret.get_secret_value() == SECRET


def test_save_replaces_files_and_keeps_0600(tmp_path: Path) -> None:
    old_umask = os.umask(0)  # a permissive umask must not widen the secrets file
    try:
        save_settings(Settings(home=tmp_path, sendcloud_secret_key="one"))
        save_settings(Settings(home=tmp_path, sendcloud_secret_key="two"))
    finally:
        os.umask(old_umask)
    assert mode(tmp_path / "secrets.json") == 0o600
    assert load_settings(tmp_path).sendcloud_secret_key.get_secret_value() == "two"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_loose_secrets_file_is_restricted_to_its_owner(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    write(path, {"octopia_client_secret": SECRET})
    path.chmod(0o644)
    assert load_settings(tmp_path).octopia_client_secret.get_secret_value() == SECRET
    assert mode(path) == 0o600


def test_save_into_unusable_home_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="Cannot save the settings"):
        save_settings(Settings(home=blocker / "home", octopia_client_secret=SECRET))


# ---------------------------------------------------------------- secrets never shown


def test_secrets_do_not_print(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDTUI_OCTOPIA_CLIENT_SECRET", SECRET)
    s = load_settings(tmp_path)
    for text in (repr(s), str(s), s.model_dump_json(), repr(s.model_dump())):
        assert SECRET not in text


def test_bad_secret_value_error_does_not_echo_it(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    write(path, {"sendcloud_secret_key": {"nested": SECRET}})
    path.chmod(0o600)
    with pytest.raises(ConfigError) as err:
        load_settings(tmp_path)
    assert "sendcloud_secret_key" in str(err.value)
    assert str(path) in str(err.value)
    assert SECRET not in str(err.value) and SECRET not in repr(err.value)


# ---------------------------------------------------------------- bad files


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"{not json", "is not valid JSON"),
        (b"[1, 2]", "must hold a JSON object"),
        (b'{"sync_interval": 5}', "sync_interval"),
        (b'{"sync_interval": "often"}', "sync_interval"),
        (b'{"label_format": "png"}', "label_format"),
        (b'{"default_weight_kg": -1}', "default_weight_kg"),
        (b'{"sender_country": "France"}', "sender_country"),
        (b'{"octopia_api_url": "ftp://x"}', "octopia_api_url"),
        (b'{"sync_intervall": 600}', "unknown setting 'sync_intervall'"),
        (b'{"sendcloud_secret_key": "abc"}', "is a secret and belongs in"),
    ],
)
def test_bad_config_file_names_file_and_field_and_is_left_alone(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "config.json"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as err:
        load_settings(tmp_path)
    message = str(err.value)
    assert str(path) in message
    assert expected in message
    assert message.count(". ") == 0 and message.endswith(".")  # one sentence
    assert err.value.exit_code == 2
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json"]


def test_bad_environment_value_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "config.json", {"sync_interval": 900})
    monkeypatch.setenv("CDTUI_SYNC_INTERVAL", "10")
    with pytest.raises(ConfigError, match="environment variable CDTUI_SYNC_INTERVAL is invalid"):
        load_settings(tmp_path)


def test_bad_json_in_environment_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CDTUI_CARRIER_MAP", "{oops")
    with pytest.raises(ConfigError, match="CDTUI_CARRIER_MAP is not valid JSON"):
        load_settings(tmp_path)


def test_unknown_key_in_secrets_file(tmp_path: Path) -> None:
    write(tmp_path / "secrets.json", {"password": "x"})
    with pytest.raises(ConfigError, match="unknown secret 'password'"):
        load_settings(tmp_path)


# ---------------------------------------------------------------- helpers


def test_require_names_what_is_missing(tmp_path: Path) -> None:
    s = Settings(home=tmp_path, octopia_client_id="agg")
    with pytest.raises(ConfigError) as err:
        s.require_octopia()
    assert "octopia_client_secret (CDTUI_OCTOPIA_CLIENT_SECRET)" in str(err.value)
    assert "octopia_client_id" not in str(err.value)
    with pytest.raises(ConfigError, match="CDTUI_SENDCLOUD_PUBLIC_KEY"):
        s.require_sendcloud()
    Settings(home=tmp_path, sendcloud_public_key="p", sendcloud_secret_key="k").require_sendcloud()
    assert env_var("sync_interval") == "CDTUI_SYNC_INTERVAL"


def test_blank_values_count_as_unset(tmp_path: Path) -> None:
    s = Settings(home=tmp_path, octopia_client_id="  ", octopia_client_secret=" ")
    assert s.missing_for_octopia() == ["octopia_client_id", "octopia_client_secret"]
