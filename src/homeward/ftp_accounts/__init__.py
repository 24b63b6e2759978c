"""FTP accounts: how a merchant's FTP client signs in to drop refund files."""
