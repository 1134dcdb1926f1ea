"""One error vocabulary for the whole application.

Every failure that reaches a user is one of these. Each carries a one-sentence
``message`` that a screen or the command line can show as is, and never a secret:
the API clients build them from status codes and the API's own ``detail`` text only,
and every message and detail is cleaned (secrets redacted, control characters made
visible) when the error is made.
"""

from __future__ import annotations

from cdtui.text import clean


class CdtuiError(Exception):
    """Base of every error cdtui explains to its user."""

    #: exit code of a headless command that fails with this error
    exit_code: int = 1

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        # shown on screens, printed, stored with orders: never a secret an API echoed,
        # never a control character from API data (cdtui.text)
        message = clean(message)
        super().__init__(message)
        self.message = message
        self.detail = clean(detail) if detail is not None else None

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class UsageError(CdtuiError):
    """Bad input from the user (command line, form, config file). Changes nothing."""

    exit_code = 2


class ConfigError(UsageError):
    """The configuration is missing something or holds a bad value."""


class StoreError(CdtuiError):
    """The data store cannot be read or written (damaged file, newer schema, disk)."""


class NotFoundLocally(UsageError):
    """An id given by the user does not exist in the store."""


class ApiError(CdtuiError):
    """Base of every failure reported by (or on the way to) a remote API."""

    def __init__(
        self,
        message: str,
        *,
        api: str = "",
        status: int | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message, detail=detail)
        self.api = api
        self.status = status


class BadCredentials(ApiError):
    """The API refused the installation's credentials (client id/secret, API keys)."""


class DelegationMissing(ApiError):
    """The Seller ID has not granted this aggregator access (Octopia 401/403 on a call)."""


class NotFound(ApiError):
    """The API says the thing asked for does not exist (404)."""


class Rejected(ApiError):
    """The API refused the request as invalid (400/409/422...); ``detail`` is its reason."""


class Conflict(Rejected):
    """409: the request conflicts with the resource's current state."""


class RateLimited(ApiError):
    """429 persisted after waiting as long as we are willing to."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.retry_after = retry_after


class Unavailable(ApiError):
    """The API answered 5xx or could not be reached (network down, DNS, refused)."""


class TimedOut(ApiError):
    """No answer in time. For a write, the outcome is unknown until re-checked."""


class BadResponse(ApiError):
    """The API answered something we cannot understand (malformed JSON, missing fields)."""


class AnnouncementFailed(Rejected):
    """Sendcloud accepted the shipment but the carrier refused to announce it."""

    #: the failed Sendcloud shipment: its external_reference_id is now used up
    shipment_id: str | None = None
