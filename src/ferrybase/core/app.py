"""The core as one object: what the API, the command line and hooks call into."""

from __future__ import annotations

from ferrybase.core import auth_origins, otp
from ferrybase.core.auth import Authenticator
from ferrybase.core.auth_flows import AuthFlows
from ferrybase.core.auth_origins import AuthOrigins
from ferrybase.core.catalog import Catalog
from ferrybase.core.ports import Mailer, Passwords, RecordingMailer, Store, Tokens
from ferrybase.core.record_service import Records
from ferrybase.core.registry import CollectionRegistry
from ferrybase.core.settings import Settings


class Core:
    """Collections, records and auth over one store. Build it with :meth:`start`."""

    def __init__(
        self,
        store: Store,
        passwords: Passwords,
        tokens: Tokens,
        mailer: Mailer | None = None,
    ) -> None:
        self.store = store
        self.mailer: Mailer = mailer or RecordingMailer()
        self.collections = CollectionRegistry(store.dialect)
        self.catalog = Catalog(store, self.collections)
        self.settings = Settings(store)
        self.records = Records(store, self.collections, passwords)
        self.auth = Authenticator(self.records, passwords, tokens)
        self.origins = AuthOrigins(self.records, self.mailer, self.settings)
        self.flows = AuthFlows(self.auth, self.settings, self.mailer)

    async def start(self, *, migrate: bool = True) -> None:
        """Apply pending migrations (under the store's lock) and load the collections."""
        if migrate:
            await self.store.migrate()
        await self.collections.load(self.store)

    async def close(self) -> None:
        """Finish sending the mails already on their way, then close the store."""
        await self.flows.drain()
        await otp.drain()
        await auth_origins.drain()
        await self.store.close()
