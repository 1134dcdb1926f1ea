"""Label claims: who is buying (or pushing) an order's label right now.

A claim is written in the store under its inter-process lock before a label is bought
or a tracking update sent, so no second process (or second click) starts the same work.
A claim whose owner is gone (same host, process dead), abandoned, or old is stale: the
next run settles it (``LabelService.reconcile``).
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from datetime import datetime, timedelta

from cdtui.errors import CdtuiError, Rejected
from cdtui.models import LabelClaim, OrderRecord
from cdtui.storage.store import Store

HOST = socket.gethostname()
#: a claim older than this is stale whoever holds it (a label takes seconds)
CLAIM_MAX_AGE = timedelta(minutes=10)
#: owner prefix of a claim given up by a process that could not tell the outcome
ABANDONED = "abandoned"


class Skip(Exception):
    """Raised inside a store update to abort it without writing."""


def new_owner() -> str:
    return f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except OSError:
        return False
    return True


def claim_is_live(claim: LabelClaim, *, now: datetime, me: str) -> bool:
    """Whether the claim's holder may still be working on the order.

    Mine: live. Abandoned or older than ``CLAIM_MAX_AGE``: stale. Same host: live while
    the holder's process exists. Another host: live until it is old.
    """
    if claim.owner == me:
        return True
    if claim.owner.startswith(ABANDONED) or now - claim.at > CLAIM_MAX_AGE:
        return False
    host, _, rest = claim.owner.rpartition(":")[0].rpartition(":")
    if not host:
        return False
    try:
        pid = int(rest)
    except ValueError:
        return False
    if host != HOST:
        return True
    return _pid_alive(pid)


def same_claim(a: LabelClaim | None, b: LabelClaim | None) -> bool:
    return a is not None and b is not None and a.owner == b.owner and a.at == b.at


def release_claim(
    store: Store,
    order_id: str,
    claim: LabelClaim,
    *,
    error: str | None = None,
    bump_generation: bool = False,
) -> None:
    """Give the order back (if the claim is still this one): an error to show, and a new
    purchase reference when the old one is used up (refused or cancelled label)."""

    def release(r: OrderRecord) -> OrderRecord:
        if not same_claim(r.claim, claim):
            raise Skip
        r.claim = None
        if error is not None:
            r.error = error
        if bump_generation and (r.label is None or not r.label.active):
            r.label_generation += 1
        return r

    with contextlib.suppress(Skip):
        store.update_order(order_id, release)


def reason(exc: BaseException) -> str:
    """The words of a failure for a stored error (the API's detail when it refused)."""
    if isinstance(exc, CdtuiError):
        return exc.detail or exc.message if isinstance(exc, Rejected) else exc.message
    return type(exc).__name__
