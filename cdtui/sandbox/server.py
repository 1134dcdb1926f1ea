"""Run the sandbox: in a background thread (tests, demo, benchmarks) or as a command.

``SandboxServer`` binds its socket before starting uvicorn, so ``url`` is known (and
the port taken) as soon as ``start()`` returns, even with ``port=0``.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import socket
import sys
import threading
import time
from types import FrameType, TracebackType
from typing import Any, TextIO

import uvicorn

from cdtui.sandbox import data
from cdtui.sandbox.app import OCTOPIA, SENDCLOUD, TOKEN_PATH, create_app
from cdtui.sandbox.world import World


class SandboxServer:
    """The Octopia + Sendcloud emulator on one loopback port, served from a thread.

    Extra keyword options go to :class:`World` (``token_ttl``, ``tracking_step_seconds``,
    ``write_limit_per_minute``, ``new_order_every``, ``clock``, ...).
    """

    def __init__(
        self,
        orders: int = 500,
        seed: int = 0,
        latency_ms: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
        **world_options: Any,
    ) -> None:
        self.world = World(orders=orders, seed=seed, latency_ms=latency_ms, **world_options)
        self._app = create_app(self.world)
        self.host = host
        self.port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    # ---- urls

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def auth_url(self) -> str:
        return self.url + TOKEN_PATH

    @property
    def octopia_url(self) -> str:
        return self.url + OCTOPIA

    @property
    def sendcloud_url(self) -> str:
        return self.url + SENDCLOUD

    def env(self) -> dict[str, str]:
        """The ``CDTUI_*`` variables that point cdtui at this sandbox."""
        return {
            "CDTUI_OCTOPIA_AUTH_URL": self.auth_url,
            "CDTUI_OCTOPIA_API_URL": self.octopia_url,
            "CDTUI_OCTOPIA_CLIENT_ID": data.AGGREGATOR_CLIENT_ID,
            "CDTUI_OCTOPIA_CLIENT_SECRET": data.AGGREGATOR_CLIENT_SECRET,
            "CDTUI_SENDCLOUD_API_URL": self.sendcloud_url,
            "CDTUI_SENDCLOUD_PUBLIC_KEY": data.SENDCLOUD_PUBLIC_KEY,
            "CDTUI_SENDCLOUD_SECRET_KEY": data.SENDCLOUD_SECRET_KEY,
            "CDTUI_SENDER_ADDRESS_ID": str(data.SENDER_ADDRESS_ID),
        }

    # ---- lifecycle

    def start(self, timeout: float = 10.0) -> SandboxServer:
        """Bind, serve from a daemon thread, and return once connections are accepted."""
        if self._thread is not None:
            raise RuntimeError("the sandbox is already running")
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY only on sockets that say they are
        # TCP (accepted ones inherit it), else small answers wait ~40 ms for delayed ACKs.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            raise
        sock.listen(128)
        self._sock = sock
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self._app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_keep_alive=30,
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [sock]},
            name=f"cdtui-sandbox:{self.port}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the sandbox server did not start")
            time.sleep(0.005)
        return self

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def reset(
        self, orders: int = 500, seed: int = 0, latency_ms: int = 0, **world_options: Any
    ) -> World:
        """Serve a brand-new world from now on (same port; much faster than a restart)."""
        self.world = World(orders=orders, seed=seed, latency_ms=latency_ms, **world_options)
        self._app.state.world = self.world
        return self.world

    def stop(self) -> None:
        """Stop serving and release the port (idempotent)."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._sock is not None:
            self._sock.close()
        self._server = self._thread = self._sock = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


# ---------------------------------------------------------------- the command


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="cdtui sandbox",
        description="Run the Octopia + Sendcloud emulator as an HTTP server (Ctrl-C stops it).",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument("--port", type=_port, default=8765, help="port (8765; 0 picks a free one)")
    p.add_argument("--orders", type=_count, default=500, help="seeded orders (500)")
    p.add_argument("--seed", type=int, default=0, help="random seed of the world (0)")
    p.add_argument(
        "--latency-ms", type=_count, default=0, help="added to every API call, in ms (0)"
    )
    p.add_argument(
        "--new-order-every",
        type=float,
        default=None,
        metavar="SECONDS",
        help="a new order arrives every SECONDS (off)",
    )
    p.add_argument(
        "--print-env",
        action="store_true",
        help="print the CDTUI_* exports for a sandbox on --host/--port and exit, for "
        '`eval "$(cdtui sandbox --print-env)"` in the shell that runs cdtui',
    )
    return p


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {value!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is between 0 and 65535, not {port}")
    return port


def _count(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {n}")
    return n


def describe(server: SandboxServer, out: TextIO) -> None:
    """Print where the sandbox listens and how to point cdtui at it."""
    print(f"cdtui sandbox listening on {server.url}", file=out)
    print(f"  Octopia token  {server.auth_url}", file=out)
    print(f"  Octopia API    {server.octopia_url}", file=out)
    print(f"  Sendcloud API  {server.sendcloud_url}", file=out)
    print(
        f"  Sellers        {data.SELLER_ID} (login {data.SELLER_LOGIN}, delegated), "
        f"{data.SECOND_SELLER_ID} (login {data.SECOND_SELLER_LOGIN}, delegated), "
        f"{data.OTHER_SELLER_ID} (login {data.OTHER_SELLER_LOGIN}, not delegated)",
        file=out,
    )
    print("\nSandbox credentials (not secrets) for cdtui:", file=out)
    for key, value in server.env().items():
        print(f"  export {key}={value}", file=out)
    print("\nPress Ctrl-C to stop.", file=out, flush=True)


def main(argv: list[str] | None = None) -> int:
    """``cdtui sandbox [--host H] [--port P] [--orders N] [--seed S] [--latency-ms MS]``."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # --help (0) or bad usage (2): argparse already printed
        return exc.code if isinstance(exc.code, int) else 2
    server = SandboxServer(
        orders=args.orders,
        seed=args.seed,
        latency_ms=args.latency_ms,
        host=args.host,
        port=args.port,
        new_order_every=args.new_order_every,
    )
    if args.print_env:
        if args.port == 0:
            print("cdtui sandbox: --print-env needs a fixed --port", file=sys.stderr)
            return 2
        for key, value in server.env().items():
            print(f"export {key}={shlex.quote(value)}")
        return 0
    try:
        server.start()
    except OSError as exc:
        print(
            f"cdtui sandbox: cannot listen on {args.host}:{args.port}: {exc.strerror}",
            file=sys.stderr,
        )
        return 1
    describe(server, sys.stdout)
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    # Ctrl-C and a plain `kill` both stop it cleanly (a shell may start background jobs
    # with SIGINT ignored; setting the handler here overrides that)
    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(0.5):
            pass
        print("\nStopping the sandbox.", file=sys.stdout)
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
