"""amqtt's authentication for the local cloud: only the run's internal user (the devices' front door and
the rules engine) may connect; anonymous clients and everyone else get CONNACK "not authorized".

amqtt's own FileAuthPlugin would need an Argon2 hash verified on every connection (each device
connection through the front door is one): a constant-time comparison with the run's generated secret
does the same job here. Imported by amqtt from the broker config (``localcloud.mqtt_broker``).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from amqtt.plugins.base import BaseAuthPlugin  # type: ignore[import-untyped]  # amqtt ships no type information
from amqtt.session import Session  # type: ignore[import-untyped]


class InternalUserAuthPlugin(BaseAuthPlugin):  # type: ignore[misc]
    async def authenticate(self, *, session: Session) -> bool:
        config = self.context.config
        username, password = session.username or "", session.password or ""
        return hmac.compare_digest(username.encode(), config.username.encode()) and hmac.compare_digest(
            password.encode(), config.password.encode())

    @dataclass
    class Config:
        username: str
        password: str
