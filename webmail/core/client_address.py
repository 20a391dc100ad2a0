"""The address of the person behind a request, which sign-in throttling counts by.

Behind a reverse proxy every request comes from the proxy's address; the client's own is in
X-Forwarded-For, which anybody can also send. So the header is read only when the request comes
from one of settings.TRUSTED_PROXIES (addresses or networks, env TRUSTED_PROXIES), and then from
the right: each trusted proxy appends the address it received the request from, so the first
address from the right that is not a trusted proxy is the client. What the client itself wrote
further left is never believed.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in trusted)


def _is_trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(request: HttpRequest) -> str:
    address = request.META.get("REMOTE_ADDR", "")
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if not networks or not _is_trusted(address, networks):
        return address
    forwarded = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed(forwarded):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break  # garbage: keep the last address a trusted proxy vouched for
        address = hop
        if not _is_trusted(hop, networks):
            break
    return address
