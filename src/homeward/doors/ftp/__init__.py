"""FTP doors for refund files: Homeward's own server, and a poller for merchant-hosted sites."""
