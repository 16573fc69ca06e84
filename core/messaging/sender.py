"""The sending job: cancel what may no longer go, queue due touches, send. Runs in the worker
(core.platform.jobs registry) on every tick, or on its own as a dedicated sender:

    python -m core.messaging.sender [--once] [--batch 200] [--concurrency 16] [--interval 5]"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import socket
import threading
from functools import lru_cache

from core.messaging import outbox
from core.messaging.config import ProviderCredentials, credentials_from_env
from core.messaging.providers.base import Provider
from core.messaging.providers.sms import SmsGatewayProvider
from core.messaging.providers.whatsapp import WhatsAppProvider
from db.engine import Database, make_engine

log = logging.getLogger("h23.messaging")


def build_providers(creds: ProviderCredentials, pool_size: int = 16) -> dict[str, Provider]:
    from core.messaging.providers.base import http_pool

    providers: dict[str, Provider] = {}
    if creds.whatsapp_ready:
        providers["whatsapp"] = WhatsAppProvider(creds.whatsapp, http_pool(pool_size))
    if creds.sms_ready:
        providers["sms"] = SmsGatewayProvider(creds.sms, http_pool(pool_size))
    return providers


@lru_cache(maxsize=1)
def _process_providers() -> dict[str, Provider]:
    # One set of pools per process: connections stay open (keep-alive) from tick to tick.
    return build_providers(credentials_from_env())


def prepare(db: Database) -> tuple[int, int, int]:
    """(cancelled, queued, capped): the outbox brought up to date with consent and due touches."""
    with db.transaction(None, system=True) as s:
        cancelled = outbox.cancel_unsendable(s)
        queued = outbox.enqueue_due(s)
    return cancelled, queued.queued, queued.capped


def run_outbox(db: Database, worker: str, providers: dict[str, Provider] | None = None,
               options: outbox.SendOptions | None = None) -> list[str]:
    """The worker job: what it did, for the log (empty when there was nothing to do)."""
    cancelled, queued, capped = prepare(db)
    report = outbox.run_sender(db, worker, _process_providers() if providers is None else providers, options)
    if not (cancelled or queued or capped or report.batches):
        return []
    summary = f"outbox: queued {queued}, held by cap {capped}, cancelled {cancelled}, {report.as_dict()}"
    log.info(summary)
    return [summary]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Send the outbox's due messages.")
    parser.add_argument("--once", action="store_true", help="send what is due now, then exit")
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between rounds")
    parser.add_argument("--lease-seconds", type=float, default=600.0,
                        help="a claim older than this is taken over (its worker died)")
    parser.add_argument("--no-prepare", action="store_true", help="only send what is queued already")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    db = Database(make_engine())
    options = outbox.SendOptions(batch=args.batch, concurrency=args.concurrency,
                                 lease=dt.timedelta(seconds=args.lease_seconds), max_seconds=3600)
    providers = build_providers(credentials_from_env(), args.concurrency)
    name, stop = f"{socket.gethostname()}:{os.getpid()}:sender", threading.Event()
    while not stop.is_set():
        if not args.no_prepare:
            prepare(db)
        report = outbox.run_sender(db, name, providers, options)
        if report.batches:
            log.info("sent %s", report.as_dict())
        if args.once:
            break
        stop.wait(args.interval)


if __name__ == "__main__":
    main()
