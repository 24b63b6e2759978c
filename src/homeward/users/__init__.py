"""People who sign in to the web app: merchant staff and warehouse staff, with their sessions."""
