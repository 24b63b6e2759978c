"""Imports every models module so Base.metadata knows all tables (for Alembic and test set-up)."""

from homeward.auth import models as auth_models
from homeward.billing import models as billing_models
from homeward.catalog import models as catalog_models
from homeward.events import models as event_models
from homeward.ftp_accounts import models as ftp_account_models
from homeward.idempotency import models as idempotency_models
from homeward.integrations import models as integration_models
from homeward.inventory import models as inventory_models
from homeward.kit.orm import Base
from homeward.labels import models as label_models
from homeward.marketplace import models as marketplace_models
from homeward.oms import models as oms_models
from homeward.orders import models as order_models
from homeward.receiving import models as receiving_models
from homeward.refunds import models as refund_models
from homeward.returns import models as return_models
from homeward.tenants import models as tenant_models
from homeward.users import models as user_models

metadata = Base.metadata

__all__ = [
    "auth_models",
    "billing_models",
    "catalog_models",
    "event_models",
    "ftp_account_models",
    "idempotency_models",
    "integration_models",
    "inventory_models",
    "label_models",
    "marketplace_models",
    "metadata",
    "oms_models",
    "order_models",
    "receiving_models",
    "refund_models",
    "return_models",
    "tenant_models",
    "user_models",
]
