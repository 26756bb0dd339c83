"""The core as one object: what the API, the command line and hooks call into."""

from __future__ import annotations

from ferrybase.core import auth_origins, otp
from ferrybase.core.auth import Authenticator
from ferrybase.core.auth_flows import AuthFlows
from ferrybase.core.auth_origins import AuthOrigins
from ferrybase.core.catalog import Catalog
from ferrybase.core.file_service import Files
from ferrybase.core.files import StorageFactory, Thumbnailer
from ferrybase.core.ports import Mailer, Passwords, RecordingMailer, Store, Tokens
from ferrybase.core.realtime import DEFAULT_RETENTION, Realtime
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
        *,
        feed_retention: float = DEFAULT_RETENTION,
        storage: StorageFactory | None = None,
        thumbnailer: Thumbnailer | None = None,
    ) -> None:
        self.store = store
        self.mailer: Mailer = mailer or RecordingMailer()
        self.collections = CollectionRegistry(store.dialect)
        self.catalog = Catalog(store, self.collections, lambda: self.records.journal())
        self.settings = Settings(store)
        self.records = Records(store, self.collections, passwords, lambda: self.files.storage())
        self.auth = Authenticator(self.records, passwords, tokens)
        self.files = Files(self.settings, self.records, self.auth, storage, thumbnailer)
        self.origins = AuthOrigins(self.records, self.mailer, self.settings)
        self.flows = AuthFlows(self.auth, self.settings, self.mailer)
        self.realtime = Realtime(store, self.collections, self.records, retention=feed_retention)

    async def start(self, *, migrate: bool = True) -> None:
        """Apply pending migrations (under the store's lock) and load the collections."""
        if migrate:
            await self.store.migrate()
        await self.collections.load(self.store)
        self.realtime.start()

    async def close(self) -> None:
        """Close the realtime streams, finish sending the mails already on their way, then
        close the store."""
        await self.realtime.close()
        await self.flows.drain()
        await otp.drain()
        await auth_origins.drain()
        await self.files.close()
        await self.store.close()
