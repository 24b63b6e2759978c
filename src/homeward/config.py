"""Settings, read once from HOMEWARD_* environment variables."""

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOMEWARD_")

    database_url: str = "sqlite:///./homeward.db"
    log_level: str = "INFO"
    # Pool per worker process; PostgreSQL only (SQLite uses one connection per thread).
    db_pool_size: int = 10


@lru_cache
def get_settings() -> Settings:
    return Settings()
