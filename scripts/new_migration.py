"""Autogenerate an Alembic revision from the models: `python scripts/new_migration.py ID "message"`.

Upgrades a scratch SQLite database to head, compares it with the models and writes
src/homeward/migrations/versions/<ID>.py. Read the result before committing it.
"""

import sys
import tempfile
from pathlib import Path

from alembic import command

from homeward.db import alembic_config, upgrade


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    rev_id, message = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'scratch.db'}"
        upgrade(url)
        command.revision(alembic_config(url), message=message, autogenerate=True, rev_id=rev_id)
    versions = Path(__file__).resolve().parents[1] / "src" / "homeward" / "migrations" / "versions"
    for generated in versions.glob(f"{rev_id}_*.py"):
        generated.rename(versions / f"{rev_id}.py")
        print(f"wrote {versions / f'{rev_id}.py'}")


if __name__ == "__main__":
    main()
