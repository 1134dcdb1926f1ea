"""Fixtures for the API client tests: respx router, fake clock, clients under test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import respx
from apifakes import (
    AUTH_URL,
    CLIENT_SECRET,
    FAST,
    OCTOPIA_URL,
    SENDCLOUD_SECRET,
    SENDCLOUD_URL,
    Clock,
    Sleeps,
)

from cdtui.octopia import OctopiaClient
from cdtui.sendcloud import SendcloudClient


@pytest.fixture
def router() -> respx.Router:
    return respx.Router(assert_all_called=False)


@pytest.fixture
def token_route(router: respx.Router) -> respx.Route:
    return router.post(AUTH_URL).mock(
        return_value=httpx.Response(
            200, json={"access_token": "tok-1", "expires_in": 7200, "token_type": "Bearer"}
        )
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def octopia(
    router: respx.Router, clock: Clock, sleeps: Sleeps
) -> AsyncIterator[OctopiaClient]:
    client = OctopiaClient(
        auth_url=AUTH_URL,
        api_url=OCTOPIA_URL,
        client_id="cdtui-aggregator",
        client_secret=CLIENT_SECRET,
        policy=FAST,
        transport=httpx.MockTransport(router.async_handler),
        clock=clock,
        sleep=sleeps,
    )
    async with client:
        yield client


@pytest.fixture
async def sendcloud(router: respx.Router, sleeps: Sleeps) -> AsyncIterator[SendcloudClient]:
    client = SendcloudClient(
        api_url=SENDCLOUD_URL,
        public_key="sc-public",
        secret_key=SENDCLOUD_SECRET,
        policy=FAST,
        transport=httpx.MockTransport(router.async_handler),
        sleep=sleeps,
    )
    async with client:
        yield client
