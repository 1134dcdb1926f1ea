"""Domain models shared by the clients, the store, the engine and the UI.

Octopia documents are validated with models that accept the live API's camelCase
names *and* our snake_case names (``populate_by_name``), ignore unknown fields and
tolerate absent optional ones: the public field lists are known to be imperfect.
Everything that is **unconfirmed** about Octopia's shapes is handled here and in
``octopia.py`` only.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from cdtui.orders.enums import (
    SHOP_PICKUP_MODES,
    OrderStatus,
    PushStatus,
    State,
)


class _Api(BaseModel):
    """Tolerant base for documents coming from (or stored like) the Octopia API."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=False
    )


def http_url(value: Any) -> str | None:
    """The value if it is an absolute http(s) URL of sensible length, else None: a
    ``javascript:`` or ``file:`` tracking URL from an API is never stored nor posted."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if len(text) > 2000 or any(ch.isspace() or ord(ch) < 32 for ch in text):
        return None
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return text


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(dt: datetime) -> str:
    """ISO-8601 UTC with a ``Z``, second precision: the form Octopia filters accept."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------- Octopia: seller


class SellerProfile(_Api):
    seller_id: str = Field(validation_alias=AliasChoices("sellerId", "seller_id", "id"))
    login: str | None = None
    shop_name: str | None = None

    @field_validator("seller_id", mode="before")
    @classmethod
    def _str_id(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) else v


class Subscription(_Api):
    subscription_id: str | None = None
    sales_channel_id: str = Field(
        validation_alias=AliasChoices("salesChannelId", "sales_channel_id", "channelId", "id")
    )
    sales_channel_name: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "salesChannelName", "sales_channel_name", "channelName", "name"
        ),
    )
    status: str | None = None

    @field_validator("subscription_id", "sales_channel_id", mode="before")
    @classmethod
    def _str_id(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) else v

    @property
    def active(self) -> bool:
        return (self.status or "Active").lower() == "active"

    @property
    def label(self) -> str:
        return self.sales_channel_name or self.sales_channel_id


class Carrier(_Api):
    code: str
    label: str
    #: push parameters this carrier needs beyond the parcel number (``trackingUrl``);
    #: the field's shape is unconfirmed: a bare ``true`` is read as ``["trackingUrl"]``
    additional_parameters_required: list[str] = Field(default_factory=list)

    @field_validator("additional_parameters_required", mode="before")
    @classmethod
    def _params(cls, v: Any) -> Any:
        if v is True:
            return ["trackingUrl"]
        if v is None or v is False:
            return []
        if isinstance(v, str):
            return [v]
        if isinstance(v, list):
            return [str(x) for x in v if isinstance(x, str | int) and str(x).strip()]
        return []

    @property
    def key(self) -> str:
        """Carriers are matched by trimmed, case-folded label, never by code."""
        return carrier_key(self.label)


def carrier_key(name: str) -> str:
    return " ".join(name.split()).casefold()


# ---------------------------------------------------------------- Octopia: orders


class Address(_Api):
    civility: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company_name: str | None = None
    address_line1: str | None = Field(
        default=None, validation_alias=AliasChoices("addressLine1", "address_line1")
    )
    address_line2: str | None = Field(
        default=None, validation_alias=AliasChoices("addressLine2", "address_line2")
    )
    address_line3: str | None = Field(
        default=None, validation_alias=AliasChoices("addressLine3", "address_line3")
    )
    postal_code: str | None = None
    city: str | None = None
    country_code: str | None = None
    phone: str | None = None
    email: str | None = None
    pickup_id: str | None = None
    pickup_name: str | None = None

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p).strip()


class Parcel(_Api):
    parcel_number: str | None = None
    carrier_name: str | None = None
    tracking_url: str | None = None


class Offer(_Api):
    id: str | None = None
    seller_product_id: str | None = None
    product_id: str | None = None
    product_gtin: str | None = None
    product_title: str | None = None
    condition: str | None = None
    supply_mode: str | None = None


class LinePrice(_Api):
    unit_sales_price: Decimal | None = None
    shipping_cost: Decimal | None = None


class Delivery(_Api):
    mode: str | None = None
    promised_at_min: datetime | None = None
    promised_at_max: datetime | None = None
    shipped_at_max: datetime | None = None


class OrderLine(_Api):
    order_line_id: str
    status: str | None = None
    quantity: int = 1
    offer: Offer = Field(default_factory=Offer)
    selling_price: LinePrice = Field(default_factory=LinePrice)
    delivery: Delivery = Field(default_factory=Delivery)
    shipping_address: Address | None = None
    parcels: list[Parcel] = Field(default_factory=list)

    @field_validator("order_line_id", mode="before")
    @classmethod
    def _str_id(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) else v

    @field_validator("parcels", mode="before")
    @classmethod
    def _none_list(cls, v: Any) -> Any:
        return [] if v is None else v

    @property
    def sku(self) -> str | None:
        return self.offer.seller_product_id

    @property
    def shop_pickup(self) -> bool:
        return (self.delivery.mode or "") in SHOP_PICKUP_MODES

    @property
    def merchant_ships(self) -> bool:
        return (self.offer.supply_mode or "Seller") == "Seller"


class SalesChannel(_Api):
    id: str
    name: str | None = None


class Price(_Api):
    offer_price: Decimal | None = None
    selling_price: Decimal | None = None


class Order(_Api):
    """An Octopia order as the API returns it (validated tolerantly)."""

    order_id: str
    reference: str | None = None
    business_order: bool | None = None
    sales_channel: SalesChannel | None = None
    purchased_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    shipped_at_max: datetime | None = None
    status: str
    currency_code: str | None = "EUR"
    billing_address: Address | None = None
    total_price: Price = Field(default_factory=Price)
    lines: list[OrderLine] = Field(default_factory=list)
    #: fields cdtui cut because the API sent them far too long (``octopia.cap_strings``)
    truncated_fields: list[str] = Field(default_factory=list)

    @field_validator("lines", mode="before")
    @classmethod
    def _none_list(cls, v: Any) -> Any:
        return [] if v is None else v

    @property
    def channel_id(self) -> str:
        return self.sales_channel.id if self.sales_channel else ""

    @property
    def shippable_lines(self) -> list[OrderLine]:
        """Lines the merchant ships itself and that are ready (InPreparation)."""
        return [
            ln
            for ln in self.lines
            if ln.merchant_ships
            and ln.status in (OrderStatus.IN_PREPARATION, OrderStatus.CANCEL_REQUEST)
        ]

    @property
    def shipping_address(self) -> Address | None:
        """The address of the first line that has one (it lives on the lines)."""
        for ln in self.shippable_lines or self.lines:
            if ln.shipping_address is not None:
                return ln.shipping_address
        return None

    @property
    def parcel_numbers(self) -> set[str]:
        return {p.parcel_number for ln in self.lines for p in ln.parcels if p.parcel_number}

    @property
    def cancel_request_lines(self) -> list[OrderLine]:
        """The merchant's lines with a cancellation request (shipped only on request)."""
        return [
            ln for ln in self.lines if ln.merchant_ships and ln.status == OrderStatus.CANCEL_REQUEST
        ]


# ---------------------------------------------------------------- Sendcloud


class ShippingOption(BaseModel):
    """One ``POST /shipping-options`` answer item: what cdtui needs to pick a service."""

    model_config = ConfigDict(extra="ignore")

    code: str
    name: str
    carrier_code: str | None = None
    carrier_name: str | None = None
    #: ``quotes[0].price.total`` (only when asked with ``calculate_quotes``)
    price: Decimal | None = None
    currency: str | None = None
    #: ``requirements.is_service_point_required``
    service_point_required: bool = False
    #: ``functionalities.last_mile``: ``home_delivery``, ``service_point``, ...
    last_mile: str | None = None
    #: ``functionalities.signature``
    signature: bool = False
    #: ``functionalities.delivery_deadline``: ``nextday``, ``standard``, ...
    delivery_deadline: str | None = None
    min_weight_kg: Decimal | None = None
    max_weight_kg: Decimal | None = None

    @property
    def service_point(self) -> bool:
        """Delivered to a service point (relay), not to the buyer's door."""
        return self.service_point_required or self.last_mile == "service_point"


class ShippingOptionList(list[ShippingOption]):
    """The options Sendcloud offers, with its ``message`` when it offers none."""

    def __init__(self, options: Iterable[ShippingOption] = (), message: str | None = None):
        super().__init__(options)
        self.message = message


class Shipment(BaseModel):
    """The part of a Sendcloud shipment cdtui keeps (one parcel per shipment)."""

    model_config = ConfigDict(extra="ignore")

    shipment_id: str
    order_number: str | None = None
    external_reference_id: str | None = None
    carrier_code: str | None = None
    carrier_name: str | None = None
    parcel_id: str | None = None
    parcel_status: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    label_url: str | None = None
    #: ``parcels[0].label_file`` decoded (the announce answer carries it: no download)
    label_file: bytes | None = Field(default=None, exclude=True)
    #: link of the parcel document whose ``document_type`` is ``customs-declaration``
    customs_url: str | None = None

    @field_validator("tracking_url", "label_url", "customs_url", mode="before")
    @classmethod
    def _http_only(cls, v: Any) -> Any:
        return http_url(v)

    @field_validator(
        "shipment_id", "carrier_code", "carrier_name", "tracking_number", "parcel_id", mode="after"
    )
    @classmethod
    def _short(cls, v: str | None) -> str | None:
        # a sane carrier never sends more; an absurd one must not bloat the store
        return v[:200] if isinstance(v, str) else v

    announced_at: datetime | None = None


class CancelResult(BaseModel):
    status: str  # "cancelled" | "queued" | "refused"
    message: str = ""


class TrackingEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    event_at: datetime
    status_code: str
    status_description: str = ""


# ---------------------------------------------------------------- local state


class Integration(BaseModel):
    """A connected seller (one Seller ID), as kept in the store."""

    model_config = ConfigDict(extra="ignore")

    id: str
    name: str
    seller_id: str
    login: str
    shop_name: str | None = None
    #: sales channel ids, or "all"
    channels: list[str] | str = "all"
    default_weight_kg: Decimal | None = None
    default_shipping_option: str | None = None
    sender_address_id: int | None = None
    #: SKU -> weight in kg
    sku_weights: dict[str, Decimal] = Field(default_factory=dict)
    #: SKU -> HS code (customs outside the EU), and the code for SKUs not in the table
    sku_hs_codes: dict[str, str] = Field(default_factory=dict)
    default_hs_code: str | None = None
    #: SKU -> country of origin; ``origin_country`` for the others (else the sender's)
    sku_origin_countries: dict[str, str] = Field(default_factory=dict)
    origin_country: str | None = None
    #: Sendcloud carrier code running the relay network of this seller's relay orders
    relay_carrier: str = "mondial_relay"
    #: ordered shipping rules (``cdtui.orders.shipping.ShippingRule`` as dicts)
    shipping_rules: list[dict[str, Any]] = Field(default_factory=list)
    created_at: datetime = Field(default_factory=utcnow)
    #: start of the last run that completed without error: the next run's watermark
    last_success_started_at: datetime | None = None
    last_sync_at: datetime | None = None
    last_catchup_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None

    @property
    def all_channels(self) -> bool:
        return self.channels == "all"


class LabelInfo(BaseModel):
    model_config = ConfigDict(extra="ignore")

    external_reference_id: str
    shipment_id: str | None = None
    parcel_id: str | None = None
    carrier_code: str | None = None
    carrier_name: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    shipping_option_code: str | None = None

    @field_validator("tracking_url", mode="before")
    @classmethod
    def _http_only(cls, v: Any) -> Any:
        return http_url(v)

    #: what chose the option: "rule 1 (…)", "default option", "cheapest", "operator"
    chosen_by: str | None = None
    weight_kg: Decimal | None = None
    label_path: str | None = None
    #: the customs declaration saved beside the label (outside the EU)
    customs_path: str | None = None
    #: the relay point the parcel goes to (``to_service_point``)
    relay_point_id: str | None = None
    relay_point_name: str | None = None
    #: the address the operator corrected for this label only (never sent to Octopia)
    address_override: dict[str, str] | None = None
    #: lines with a cancellation request that the operator chose to ship
    included_cancel_requests: list[str] = Field(default_factory=list)
    created_at: datetime | None = None
    #: the chosen option's quoted price at purchase (``quotes[0].price.total``); None on
    #: labels bought before prices were kept, or adopted after a crash (no quote at hand)
    price: Decimal | None = None
    currency: str | None = None
    #: "cancelled" | "queued" | "refused" once a cancellation was asked
    cancel_status: str | None = None
    cancel_message: str | None = None
    #: when Sendcloud accepted the cancellation ("cancelled" or "queued")
    cancelled_at: datetime | None = None

    @field_validator("currency", mode="before")
    @classmethod
    def _currency(cls, v: Any) -> Any:
        # an ISO 4217 code or nothing: it names report columns and is shown as is
        if isinstance(v, str) and len(v.strip()) == 3 and v.strip().isalpha():
            return v.strip().upper()
        return None

    @property
    def active(self) -> bool:
        """A bought label that has not been (or is not being) cancelled."""
        return self.shipment_id is not None and self.cancel_status not in ("cancelled", "queued")


class TrackingPush(BaseModel):
    """A tracking update for the marketplace, stored *before* it is sent."""

    model_config = ConfigDict(extra="ignore")

    status: PushStatus = PushStatus.PENDING
    carrier_name: str  # Octopia carrier label (from GET /carriers)
    parcel_number: str
    tracking_url: str | None = None

    @field_validator("tracking_url", mode="before")
    @classmethod
    def _http_only(cls, v: Any) -> Any:
        return http_url(v)

    line_ids: list[str] = Field(default_factory=list)
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


class LabelClaim(BaseModel):
    """Written before a label purchase starts, so no other process starts another."""

    owner: str  # "host:pid:uuid"
    at: datetime
    external_reference_id: str
    #: the order lines the purchase covers (None: the lines to ship by default)
    line_ids: list[str] | None = None


class OrderRecord(BaseModel):
    """One order in the store: the marketplace document plus cdtui's own state."""

    model_config = ConfigDict(extra="ignore")

    order_id: str
    integration_id: str
    seller_id: str
    order: Order
    state: State = State.NOT_SHIPPABLE
    attention: str | None = None
    error: str | None = None
    label: LabelInfo | None = None
    #: labels this order had before ``label`` (cancelled, then replaced): kept for the
    #: day report (what was bought and cancelled when)
    past_labels: list[LabelInfo] = Field(default_factory=list)
    #: bumped when a label is cancelled, so the next purchase gets a new reference id
    label_generation: int = 0
    claim: LabelClaim | None = None
    push: TrackingPush | None = None
    tracking_events: list[TrackingEvent] = Field(default_factory=list)
    tracking_refreshed_at: datetime | None = None
    first_seen_at: datetime = Field(default_factory=utcnow)

    # convenience for tables and JSON
    @property
    def reference(self) -> str:
        return self.order.reference or self.order_id

    @property
    def channel_id(self) -> str:
        return self.order.channel_id

    @property
    def marketplace_status(self) -> str:
        return self.order.status

    @property
    def delivered(self) -> bool:
        return any(e.status_code == "delivered" for e in self.tracking_events)

    def external_reference_id(self, connected_at: datetime | None = None) -> str:
        """Deterministic Sendcloud idempotency key for this order's next label.

        ``connected_at`` is the integration's creation instant: disconnecting and
        connecting again starts the generations over, and without it the new
        integration's first label would reuse the reference of the old one's (and
        Sendcloud would answer 409 with that old, maybe cancelled, shipment).
        """
        ref = f"cdtui-{self.seller_id}-{self.order_id}"
        if connected_at is not None:
            ref += f"-i{connected_at.astimezone(UTC):%Y%m%d%H%M%S}"
        return ref if self.label_generation == 0 else f"{ref}-{self.label_generation}"
