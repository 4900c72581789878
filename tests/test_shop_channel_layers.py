"""The shop's in-memory channel layer (shop/channel_layers.py): Channels' own, with its sweep
for expired messages and group memberships done once an interval instead of on every receive.
It must still expire what Channels' layer expires (the same code, run less often)."""

import asyncio

import pytest
from channels.layers import InMemoryChannelLayer as ChannelsInMemoryChannelLayer
from django.conf import settings

from shop.channel_layers import InMemoryChannelLayer

pytestmark = [pytest.mark.reference, pytest.mark.anyio]

A_WHILE = 0.05  # seconds: the expiry and sweep interval of these tests' layers


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def layer():
    layer = InMemoryChannelLayer(expiry=A_WHILE)
    layer.sweep_interval = A_WHILE
    return layer


def test_the_shop_uses_it_without_redis():
    assert (
        settings.CHANNEL_LAYERS["default"]["BACKEND"] == "shop.channel_layers.InMemoryChannelLayer"
    )


async def test_a_message_is_received(layer):
    await layer.send("prices.a", {"type": "price.changed"})

    assert await asyncio.wait_for(layer.receive("prices.a"), 1) == {"type": "price.changed"}


async def test_a_message_nobody_received_in_time_is_dropped(layer):
    await layer.send("prices.a", {"type": "stale"})
    await asyncio.sleep(A_WHILE * 3)
    await layer.send("prices.b", {"type": "wake"})
    await layer.receive("prices.b")  # Sweeps: the interval has passed.
    await layer.send("prices.a", {"type": "fresh"})

    assert await asyncio.wait_for(layer.receive("prices.a"), 1) == {"type": "fresh"}


async def test_many_receives_within_an_interval_sweep_once(layer, monkeypatch):
    sweeps = []
    monkeypatch.setattr(
        ChannelsInMemoryChannelLayer, "_clean_expired", lambda self: sweeps.append(1)
    )
    layer.sweep_interval = 60
    for number in range(100):
        await layer.send(f"prices.{number}", {"type": "price.changed"})
    for number in range(100):
        await layer.receive(f"prices.{number}")

    assert len(sweeps) == 1, f"100 receives swept {len(sweeps)} times, not once"
