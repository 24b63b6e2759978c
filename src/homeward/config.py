"""Settings, read once from HOMEWARD_* environment variables."""

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOMEWARD_")

    database_url: str = "sqlite:///./homeward.db"
    log_level: str = "INFO"
    # Pool per worker process; PostgreSQL only (SQLite uses one connection per thread).
    db_pool_size: int = 10
    # A pooled PostgreSQL connection idle this long is pinged before use (one round trip); busier
    # ones are not, and one found dead anyway is answered 503 and replaced (see db.py).
    db_idle_ping_seconds: float = 10.0
    # SQLite: how long a writer waits for another to finish before the request is answered 503.
    db_busy_timeout: float = 30.0
    # Absolute base of links the API hands out (photo image_url); `homeward serve` sets it to
    # its own address when unset.
    public_url: str = "http://127.0.0.1:8000"
    # disk:PATH or s3://BUCKET[/PREFIX]?endpoint_url=...&region=... (see homeward.photos.store)
    photo_store: str = "disk:./homeward-photos"
    # Refund files (issue 6): where `homeward ftp serve` keeps merchants' homes, how often
    # `homeward refunds poll` looks for files (seconds; unset: once), and a pause after each
    # refund batch (transaction) that only tests set, to stop a process mid-file on purpose.
    ftp_root: str = "./ftp"
    refunds_poll_every: float | None = None
    # Threads `ftp serve` processes files on: one file per FTP user at a time, users in parallel.
    ftp_workers: int = 4
    refunds_test_group_delay: float = 0.0
    # Outbound webhooks (issue 12). Receivers on private/loopback addresses are refused unless
    # allowed (tests and local demos); retries back off exponentially (base doubling up to max,
    # with jitter) for `webhook_retry_for_seconds`, then the subscription is marked failing.
    webhook_allow_private: bool = False
    webhook_retry_base_seconds: float = 10.0
    webhook_retry_max_seconds: float = 4 * 3600.0
    webhook_retry_for_seconds: float = 24 * 3600.0 + 60.0
    webhook_timeout_seconds: float = 10.0
    # A claimed delivery is someone else's to retry after this long (a worker that died mid-send).
    webhook_lease_seconds: float = 120.0
    webhook_poll_seconds: float = 0.5
    # POSTs one worker has in flight at once (each on its own kept-alive connections).
    webhook_concurrency: int = 4
    # Events (and retries) one worker takes per transaction (per-batch round trips amortized over
    # more events; SQLite writers wait while a batch is rendered, so smaller suits a busy SQLite).
    webhook_batch: int = 500
    # Finished deliveries (with their log) and sent events are forgotten after this many days; the
    # worker prunes them a small batch at a time, `homeward webhook prune` all at once.
    event_retention_days: float = 30.0
    # `homeward serve` runs a delivery worker in-process when set (`make demo` sets it).
    serve_worker: bool = False
    # Key that encrypts webhook and integration secrets at rest (any text; unset: stored as given).
    secret_key: str | None = None
    # Refund groups settled per transaction (set-based); a crash redoes at most one batch.
    refunds_groups_per_transaction: int = 2000


@lru_cache
def get_settings() -> Settings:
    return Settings()
