"""`python -m homeward` is the `homeward` command."""

from homeward.doors.cli.main import app

app()
