"""The sandbox: an emulator of the Octopia Seller API v2 and Sendcloud API v3.

``server.SandboxServer`` runs it; ``data`` holds its credentials and seeded world.
"""
