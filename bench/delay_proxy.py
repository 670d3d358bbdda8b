"""A TCP proxy on loopback that adds a round trip's latency: S3 as far away as it is from Lambda.

Each answer is held until ``latency`` after the request it answers began to arrive, once per
request on a kept-alive connection: a request that takes longer than that upstream is not delayed
further, as on a real network, where the latency and the server's own time overlap only so much.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

from infra.servers import HOST

CHUNK = 64 * 1024


@contextlib.contextmanager
def delaying_proxy(upstream: tuple[str, int], latency: float) -> Iterator[str]:
    """Run the proxy in front of ``upstream``; yield its URL, stop it on exit."""
    listener = socket.create_server((HOST, 0))
    stopping = threading.Event()

    def accept() -> None:
        while not stopping.is_set():
            try:
                client, _ = listener.accept()
            except OSError:  # closed on exit
                return
            threading.Thread(target=_relay, args=(client, upstream, latency), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://{HOST}:{listener.getsockname()[1]}"
    finally:
        stopping.set()
        listener.close()


def _relay(client: socket.socket, upstream: tuple[str, int], latency: float) -> None:
    server = socket.create_connection(upstream)
    for end in (client, server):
        end.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    asked = threading.Event()
    sent_at = [0.0]

    def requests() -> None:
        with contextlib.suppress(OSError):
            while data := client.recv(CHUNK):
                if not asked.is_set():
                    sent_at[0] = time.monotonic()
                    asked.set()
                server.sendall(data)
        with contextlib.suppress(OSError):
            server.shutdown(socket.SHUT_WR)

    def answers() -> None:
        with contextlib.suppress(OSError):
            while data := server.recv(CHUNK):
                if asked.is_set():
                    time.sleep(max(0.0, sent_at[0] + latency - time.monotonic()))
                    asked.clear()
                client.sendall(data)
        for end in (client, server):
            with contextlib.suppress(OSError):
                end.close()

    threading.Thread(target=requests, daemon=True).start()
    answers()
