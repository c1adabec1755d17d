"""Demo data: `serve --demo` (a ready account, user, key and small data set) and `demo-data`."""

import uuid
from collections.abc import Callable

from sqlalchemy import func, select
from tqdm import tqdm

from rentengine.auth import service as auth
from rentengine.auth.models import Account
from rentengine.changes.types import Actor
from rentengine.db.session import Database
from rentengine.demo.loader import DemoLoader, DemoSizes, Progress
from rentengine.kit.ids import new_token
from rentengine.settings import Settings

DEMO_EMAIL = "demo@rentengine.local"
# `serve --demo`: a few listings with a busy leasing season's worth of prospects.
SERVE_DEMO_SIZES = DemoSizes(prospects=300)


def progress_bars(enabled: bool = True) -> Callable[[str, int], Progress]:
    """A tqdm bar on stderr per step (stdout stays machine-readable)."""

    def open_bar(label: str, total: int) -> Progress:
        bar = tqdm(total=total, desc=label, unit=" rows", disable=not enabled or total == 0, leave=True)

        def advance(count: int) -> None:
            bar.update(count)
            if bar.n >= total:
                bar.close()

        return advance

    return open_bar


async def load_demo_data(
    settings: Settings, sizes: DemoSizes, account_id: uuid.UUID | None, show_progress: bool = True
) -> uuid.UUID:
    """Loads demo data into `account_id`, or into a new demo account; returns the account id."""
    db = Database(settings.database_url, pool_size=2)
    try:
        async with db.transaction() as session:
            if account_id is None:
                account_id = (await auth.create_account(session, "Demo Property Management")).id
            elif await session.get(Account, account_id) is None:
                raise auth.AuthRuleError(f"no such account: {account_id}")
        loader = DemoLoader(
            db,
            settings,
            account_id,
            Actor(user_id=None, request_method="CLI", request_path="rentengine demo-data"),
        )
        await loader.load(sizes, progress_bars(show_progress))
        return account_id
    finally:
        await db.dispose()


async def ensure_demo(settings: Settings, base_url: str) -> None:
    """On an empty database: a demo account, user (password printed) and key (printed once), and data."""
    db = Database(settings.database_url, pool_size=2)
    try:
        async with db.transaction() as session:
            if await session.scalar(select(func.count()).select_from(Account)):
                print("demo: the database already has accounts; nothing created", flush=True)
                return
            account = await auth.create_account(session, "Demo Property Management")
            password = new_token(12)
            user = await auth.create_user(session, DEMO_EMAIL, [account.id], password)
            _key, token = await auth.create_api_key(session, settings.secret_key, user, "demo key")
        loader = DemoLoader(
            db,
            settings,
            account.id,
            Actor(user_id=user.id, request_method="CLI", request_path="rentengine serve --demo"),
        )
        await loader.load(SERVE_DEMO_SIZES, progress_bars(enabled=False))
    finally:
        await db.dispose()
    print(
        f"demo account: {account.id}\ndemo user: {DEMO_EMAIL} password: {password}\n"
        f"demo API key (shown once): {token}\n"
        f"try: curl -H 'Authorization: Bearer {token}' {base_url}/api/public/v1/units",
        flush=True,
    )
