from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from homeward.kit.orm import Base, UTCDateTime


class FtpAccount(Base):
    __tablename__ = "ftp_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    username: Mapped[str] = mapped_column(String(63), unique=True)
    # scrypt$N$r$p$salt$hash; the password itself is shown once and never stored.
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
