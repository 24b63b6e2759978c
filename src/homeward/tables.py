"""Imports every models module so Base.metadata knows all tables (for Alembic and test set-up)."""

from homeward.auth import models as auth_models
from homeward.catalog import models as catalog_models
from homeward.ftp_accounts import models as ftp_account_models
from homeward.kit.orm import Base
from homeward.marketplace import models as marketplace_models
from homeward.orders import models as order_models
from homeward.refunds import models as refund_models
from homeward.returns import models as return_models
from homeward.tenants import models as tenant_models

metadata = Base.metadata

__all__ = [
    "auth_models",
    "catalog_models",
    "ftp_account_models",
    "marketplace_models",
    "metadata",
    "order_models",
    "refund_models",
    "return_models",
    "tenant_models",
]
