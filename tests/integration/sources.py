"""Requests from other loopback addresses (127.0.0.2 and up), which the service sees as other sources, and
a way to forget failed sign-ins: the server, and so its sign-in throttle, is shared by the whole session.
"""

from __future__ import annotations

import itertools
from typing import Any

from requests.adapters import HTTPAdapter
from sqlalchemy import delete

from central.models import SignInThrottle
from central.server import RunningServer

from .conftest import Api, World

_hosts = itertools.count(2)


class _FromAddress(HTTPAdapter):
    """Connections bound to one local address, so that the server's peer address is that one."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


class SourceApi(Api):
    """An :class:`Api` whose every request comes from ``address``."""

    def __init__(self, server: RunningServer, address: str) -> None:
        super().__init__(server)
        self.address = address
        self.http.mount("https://", _FromAddress(address))


class Sources:
    """Makes clients that each connect from a loopback address no other test has used."""

    def __init__(self, server: RunningServer) -> None:
        self.server = server
        self.made: list[SourceApi] = []

    def new(self) -> SourceApi:
        number = next(_hosts)
        api = SourceApi(self.server, f"127.0.{number // 250}.{number % 250}")
        self.made.append(api)
        return api

    def close(self) -> None:
        for api in self.made:
            api.http.close()


def forget_failed_sign_ins(world: World) -> None:
    with world.session() as session:
        session.execute(delete(SignInThrottle))
        session.commit()
