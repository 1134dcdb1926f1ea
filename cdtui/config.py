"""Installation settings: ``CDTUI_HOME/config.json`` + ``secrets.json`` + ``CDTUI_*`` env.

Precedence, highest first: values passed in code, ``CDTUI_*`` environment variables,
the files under ``CDTUI_HOME``, the defaults below. Secrets (the Octopia client secret
and the Sendcloud secret key) live only in ``secrets.json``, created readable by its
owner only (0600), and are ``SecretStr`` so that no repr, log line or error shows them.

A bad file or a bad value never crashes and never gets rewritten: ``load_settings``
raises a ``ConfigError`` that names the file (or the environment variable) and the
setting, in one sentence.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import orjson
import platformdirs
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from cdtui.errors import ConfigError, UsageError
from cdtui.orders.rules import clean_country, parse_weight
from cdtui.storage.files import atomic_write

log = logging.getLogger(__name__)

ENV_PREFIX = "CDTUI_"
CONFIG_FILE = "config.json"
SECRETS_FILE = "secrets.json"
#: settings that are kept in ``secrets.json`` only
SECRET_FIELDS = frozenset({"octopia_client_secret", "sendcloud_secret_key"})
#: settings that are not kept in any file (``home`` locates the files themselves)
_NOT_IN_FILES = frozenset({"home"})


def env_var(field: str) -> str:
    """The environment variable that overrides a setting (``CDTUI_SYNC_INTERVAL``)."""
    return ENV_PREFIX + field.upper()


def resolve_home(explicit: Path | None = None) -> Path:
    """The cdtui folder: ``explicit``, else ``CDTUI_HOME``, else the platform data dir."""
    if explicit is None:
        from_env = os.environ.get("CDTUI_HOME", "").strip()
        explicit = Path(from_env) if from_env else Path(platformdirs.user_data_dir("cdtui", False))
    return Path(explicit).expanduser().absolute()


# ---------------------------------------------------------------- privacy

#: folders and files holding customers' names and addresses, or keys
PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600


def private_dir(path: Path) -> Path:
    """Create ``path`` (and its missing parents) readable by its owner only.

    ``Path.mkdir(parents=True, mode=…)`` gives the mode to the last folder only; here
    every folder created gets it, whatever the umask.
    """
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=PRIVATE_DIR)
        with contextlib.suppress(OSError):
            folder.chmod(PRIVATE_DIR)
    return path


def tighten_tree(root: Path) -> int:
    """Folders 0700 and files 0600 under ``root`` where they were looser (a store or
    labels written by an older cdtui, a copy made by hand); returns how many changed."""
    changed = 0
    try:
        top = root.lstat()
    except OSError:
        return 0
    if not stat.S_ISDIR(top.st_mode):
        return 0
    stack = [root]
    while stack:
        folder = stack.pop()
        changed += _tighten(folder, PRIVATE_DIR)
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.is_symlink():
                continue  # never follow a link out of the folder
            if entry.is_dir(follow_symlinks=False):
                stack.append(Path(entry.path))
            elif entry.is_file(follow_symlinks=False):
                changed += _tighten(Path(entry.path), PRIVATE_FILE)
    return changed


def _tighten(path: Path, mode: int) -> int:
    try:
        current = stat.S_IMODE(path.lstat().st_mode)
        if current & 0o077:
            path.chmod(current & mode)
            return 1
    except OSError:
        pass
    return 0


def secure_home(home: Path, labels: Path | None = None) -> None:
    """The home folder and what it holds private to its owner (created if needed)."""
    private_dir(home)
    _tighten(home, PRIVATE_DIR)
    for sub in ("data", "logs", "labels", "run"):
        tighten_tree(home / sub)
    if labels is not None and labels != home / "labels":
        tighten_tree(labels)
    for name in (CONFIG_FILE, SECRETS_FILE):
        _tighten(home / name, PRIVATE_FILE)


def disable_core_dumps() -> None:
    """A core dump would hold the keys and customers' data: none for this process."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


# ---------------------------------------------------------------- files


def _read_json_object(path: Path) -> dict[str, Any]:
    """The JSON object in ``path`` ({} when the file does not exist)."""
    try:
        raw = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return {}
    except OSError as exc:
        raise ConfigError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ConfigError(f"The settings file {path} is not valid JSON ({exc}).") from None
    if not isinstance(data, dict):
        raise ConfigError(
            f"The settings file {path} must hold a JSON object of settings, "
            f"not a {type(data).__name__}."
        )
    return data


def _tighten_permissions(path: Path) -> None:
    """Make a secrets file readable by its owner only, without touching its content."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:  # absent (or unreadable: reading it will say so)
        return
    if mode & 0o077:
        log.warning("%s was readable by other users; restricting it to its owner", path)
        with contextlib.suppress(OSError):
            path.chmod(0o600)


def _read_files(home: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(config values, secret values) from the two files, checked for unknown keys."""
    config_path, secrets_path = home / CONFIG_FILE, home / SECRETS_FILE
    config = _read_json_object(config_path)
    _tighten_permissions(secrets_path)
    secrets = _read_json_object(secrets_path)
    known = set(Settings.model_fields) - _NOT_IN_FILES
    for key in config:
        if key in SECRET_FIELDS:
            raise ConfigError(
                f"The setting {key} in {config_path} is a secret and belongs in "
                f"{secrets_path}, which only its owner can read."
            )
        if key not in known:
            raise ConfigError(f"The settings file {config_path} has an unknown setting {key!r}.")
    for key in secrets:
        if key not in SECRET_FIELDS:
            raise ConfigError(
                f"The secrets file {secrets_path} has an unknown secret {key!r} "
                f"(it may hold only {', '.join(sorted(SECRET_FIELDS))})."
            )
    return config, secrets


#: file values already read by ``load_settings`` (so they are read once and errors
#: can name their file); when unset, the source reads the files itself.
_FILE_VALUES: ContextVar[tuple[dict[str, Any], dict[str, Any]] | None] = ContextVar(
    "cdtui_file_values", default=None
)


class _FilesSource(PydanticBaseSettingsSource):
    """Settings from ``config.json`` and ``secrets.json`` under the home folder."""

    def __init__(self, settings_cls: type[BaseSettings], home: Path) -> None:
        super().__init__(settings_cls)
        self.home = home

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        # Unused: __call__ returns every value at once.
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        values = _FILE_VALUES.get()
        config, secrets = values if values is not None else _read_files(self.home)
        return {**config, **secrets}


# ---------------------------------------------------------------- settings


class Settings(BaseSettings):
    """Installation settings (one per ``CDTUI_HOME``)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_ignore_empty=True,
        extra="forbid",
        validate_default=True,
    )

    home: Path = Field(default_factory=resolve_home)
    octopia_auth_url: str = (
        "https://auth.octopia-io.net/auth/realms/maas/protocol/openid-connect/token"
    )
    octopia_api_url: str = "https://api.octopia-io.net/seller/v2"
    octopia_client_id: str | None = None
    octopia_client_secret: SecretStr | None = None
    sendcloud_api_url: str = "https://panel.sendcloud.sc/api/v3"
    sendcloud_public_key: str | None = None
    sendcloud_secret_key: SecretStr | None = None
    sender_address_id: int | None = Field(default=None, gt=0)
    sender_country: str = "FR"
    sender_postal_code: str | None = None
    default_weight_kg: Decimal = Field(default=Decimal("1.0"), gt=0, le=1000)
    labels_dir: Path | None = None  # resolved to home/"labels" when unset
    label_format: Literal["pdf", "zpl"] = "pdf"
    paper_size: Literal["A4", "A5", "A6"] = "A6"
    print_command: str | None = None
    #: paper of the print batches: A6, one label a page; A4, four A6 labels a sheet
    print_paper: Literal["A6", "A4"] = "A6"
    #: a bulk run's batch starts with the orders' picking list and packing slips (PDF)
    batch_documents: bool = False
    sync_interval: int = Field(default=600, ge=30)
    #: an order still to ship is "due soon" when its ship-by falls within these hours
    due_soon_hours: int = Field(default=4, ge=1, le=168)
    #: Sendcloud carrier code or name -> Octopia carrier label
    carrier_map: dict[str, str] = Field(default_factory=dict)
    sendcloud_writes_per_second: float = Field(default=15, gt=0)
    sendcloud_writes_per_minute: float = Field(default=100, gt=0)
    #: scan mode: each item must be scanned (off: scanning the order buys its label)
    scan_verify: bool = True
    #: scan mode: a complete order waits for Enter before its label is bought
    scan_confirm: bool = False

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        init_kwargs: dict[str, Any] = getattr(init_settings, "init_kwargs", {})
        home = resolve_home(Path(init_kwargs["home"]) if init_kwargs.get("home") else None)
        return init_settings, env_settings, _FilesSource(settings_cls, home)

    # ------------------------------------------------------------ validation

    @field_validator("home", mode="after")
    @classmethod
    def _absolute_home(cls, v: Path) -> Path:
        return v.expanduser().absolute()

    @field_validator("octopia_auth_url", "octopia_api_url", "sendcloud_api_url", mode="after")
    @classmethod
    def _http_url(cls, v: str) -> str:
        v = v.strip()
        if not v.startswith(("http://", "https://")) or len(v) <= len("https://"):
            raise ValueError("must be an http:// or https:// address")
        return v.rstrip("/")

    @field_validator("sender_country", mode="after")
    @classmethod
    def _country(cls, v: str) -> str:
        try:
            return clean_country(v)
        except UsageError:
            raise ValueError(f"{v!r} is not a country code (two letters, such as FR)") from None

    @field_validator("print_paper", mode="before")
    @classmethod
    def _paper(cls, v: Any) -> Any:
        if isinstance(v, str) and v.strip().upper() in ("A6", "A4"):
            return v.strip().upper()
        if isinstance(v, str):
            raise ValueError(f"{v!r} is not a paper for batches (a6 or a4)")
        return v

    @field_validator("default_weight_kg", mode="before")
    @classmethod
    def _weight(cls, v: Any) -> Any:
        # the rule every weight follows (no 1e3, nan, full-width digits), its own words
        try:
            return parse_weight(v).normalize()  # 0.75 stays 0.75 in config.json
        except UsageError as exc:
            raise ValueError(exc.message.rstrip(".")) from None

    @field_validator(
        "octopia_client_id",
        "sendcloud_public_key",
        "sender_postal_code",
        "print_command",
        mode="after",
    )
    @classmethod
    def _blank_is_unset(cls, v: str | None) -> str | None:
        return v.strip() or None if v is not None else None

    @field_validator("octopia_client_secret", "sendcloud_secret_key", mode="after")
    @classmethod
    def _blank_secret_is_unset(cls, v: SecretStr | None) -> SecretStr | None:
        if v is None or not v.get_secret_value().strip():
            return None
        return SecretStr(v.get_secret_value().strip())

    @model_validator(mode="after")
    def _resolve_labels_dir(self) -> Settings:
        if self.labels_dir is None:
            self.labels_dir = self.home / "labels"
        else:
            d = self.labels_dir.expanduser()
            self.labels_dir = d if d.is_absolute() else self.home / d
        return self

    # ------------------------------------------------------------ paths

    @property
    def config_path(self) -> Path:
        return self.home / CONFIG_FILE

    @property
    def secrets_path(self) -> Path:
        return self.home / SECRETS_FILE

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def log_dir(self) -> Path:
        return self.home / "logs"

    @property
    def due_soon_margin(self) -> timedelta:
        """``due_soon_hours`` as a duration (``cdtui.orders.deadlines``)."""
        return timedelta(hours=self.due_soon_hours)

    @property
    def labels_path(self) -> Path:
        """``labels_dir``, always set once validated (typed without ``None``)."""
        assert self.labels_dir is not None
        return self.labels_dir

    # ------------------------------------------------------------ helpers

    def missing_for_octopia(self) -> list[str]:
        """Names of the settings Octopia calls need and that are not set."""
        return [
            name
            for name in ("octopia_client_id", "octopia_client_secret")
            if getattr(self, name) is None
        ]

    def missing_for_sendcloud(self) -> list[str]:
        """Names of the settings Sendcloud calls need and that are not set."""
        return [
            name
            for name in ("sendcloud_public_key", "sendcloud_secret_key")
            if getattr(self, name) is None
        ]

    def require_octopia(self) -> None:
        """Raise ``ConfigError`` saying what to set when Octopia is not configured."""
        _require("Octopia", self.missing_for_octopia())

    def require_sendcloud(self) -> None:
        """Raise ``ConfigError`` saying what to set when Sendcloud is not configured."""
        _require("Sendcloud", self.missing_for_sendcloud())

    def secret_values(self) -> list[str]:
        """The secrets' plain values, for the log redactor (never log this list)."""
        return [
            s.get_secret_value()
            for s in (self.octopia_client_secret, self.sendcloud_secret_key)
            if s is not None
        ]


def _require(api: str, missing: list[str]) -> None:
    if missing:
        names = ", ".join(f"{m} ({env_var(m)})" for m in missing)
        raise ConfigError(
            f"{api} is not set up: {names} missing; run `cdtui setup` or set the "
            f"environment variable."
        )


# ---------------------------------------------------------------- load / save


#: how a person knows each setting: its name on the command line (and in Setup)
_SETTING_NAMES = {
    "octopia_client_id": "The Octopia client id (--octopia-client-id)",
    "sender_address_id": "The sender address id (--sender-address-id)",
    "sender_country": "The sender country (--sender-country)",
    "sender_postal_code": "The sender postal code (--sender-postal-code)",
    "default_weight_kg": "The default weight (--default-weight)",
    "labels_dir": "The labels folder (--labels-dir)",
    "label_format": "The label format (--label-format)",
    "print_command": "The print command (--print-command)",
    "print_paper": "The batch paper (--paper)",
    "batch_documents": "The batch documents (--batch-documents)",
    "due_soon_hours": "The due-soon margin (--due-soon-hours)",
    "carrier_map": "The carrier map (--carrier-map)",
    "scan_verify": "The scan verification (--scan-verify)",
    "scan_confirm": "The scan confirmation (--scan-confirm)",
}


def _describe_origin(
    field: str, init: dict[str, Any], config: dict[str, Any], secrets: dict[str, Any], home: Path
) -> str:
    if field in init:
        return _SETTING_NAMES.get(field, f"The value given for {field}")
    if os.environ.get(env_var(field), "").strip():
        return f"The environment variable {env_var(field)}"
    if field in secrets:
        return f"The secret {field} in {home / SECRETS_FILE}"
    if field in config:
        return f"The setting {field} in {home / CONFIG_FILE}"
    return f"The setting {field}"


def _env_var_in(message: str) -> str | None:
    """Which CDTUI_ variable a pydantic-settings parse error is about, if it says."""
    for name in Settings.model_fields:
        if f'"{name}"' in message:
            return env_var(name)
    return None


def load_settings(home: Path | None = None, **overrides: Any) -> Settings:
    """Read the settings of ``home`` (default: ``resolve_home()``).

    ``overrides`` win over everything (used by ``cdtui setup`` for its options).
    Raises ``ConfigError`` naming the file or variable and the setting on bad content;
    never writes anything.
    """
    home = resolve_home(home)
    config, secrets = _read_files(home)
    token = _FILE_VALUES.set((config, secrets))
    try:
        return Settings(home=home, **overrides)
    except ValidationError as exc:
        err = exc.errors(include_url=False, include_input=False)[0]
        field = str(err["loc"][0]) if err["loc"] else ""
        if field not in Settings.model_fields:
            raise ConfigError(f"Unknown setting {field!r}.") from None
        origin = _describe_origin(field, overrides, config, secrets, home)
        msg = err["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{origin} is invalid: {msg[:1].lower()}{msg[1:]}.") from None
    except SettingsError as exc:
        var = _env_var_in(str(exc)) or "CDTUI_*"
        raise ConfigError(f"The environment variable {var} is not valid JSON.") from None
    finally:
        _FILE_VALUES.reset(token)


def _file_values(settings: Settings) -> Iterator[tuple[str, Any]]:
    """(name, JSON value) of every non-secret setting that differs from its default."""
    dumped = settings.model_dump(mode="json", exclude=set(SECRET_FIELDS | _NOT_IN_FILES))
    for name, value in dumped.items():
        field = Settings.model_fields[name]
        if name == "labels_dir":
            if settings.labels_dir == settings.home / "labels":
                continue
        elif field.default_factory is not None:
            if getattr(settings, name) == field.default_factory():  # type: ignore[call-arg]
                continue
        elif getattr(settings, name) == field.default:
            continue
        yield name, value


def save_settings(settings: Settings) -> None:
    """Write ``settings`` to ``config.json`` and ``secrets.json`` (0600), atomically.

    Only values that differ from the defaults go to ``config.json``, so a later cdtui's
    better defaults still apply. Raises ``ConfigError`` if the files cannot be written.
    """
    home = settings.home
    config = dict(_file_values(settings))
    secrets = {
        name: value.get_secret_value()
        for name in sorted(SECRET_FIELDS)
        if (value := getattr(settings, name)) is not None
    }
    opts = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE
    try:
        private_dir(home)
        atomic_write(settings.secrets_path, orjson.dumps(secrets, option=opts), mode=0o600)
        atomic_write(settings.config_path, orjson.dumps(config, option=opts), mode=0o600)
    except OSError as exc:
        raise ConfigError(
            f"Cannot save the settings in {home}: {exc.strerror or type(exc).__name__}."
        ) from None
