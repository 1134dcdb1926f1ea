"""cdtui: Cdiscount / Octopia orders to Sendcloud labels, in the terminal."""

__version__ = "0.1.0"
