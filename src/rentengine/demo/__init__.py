"""`serve --demo`: on an empty database, a demo account, user, key and a small realistic data set."""

from sqlalchemy import func, select

from rentengine.auth import service as auth
from rentengine.auth.models import Account
from rentengine.db.session import Database
from rentengine.kit.ids import new_token
from rentengine.settings import Settings

DEMO_EMAIL = "demo@rentengine.local"


async def ensure_demo(settings: Settings) -> None:
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
        print(
            f"demo account: {account.id}\ndemo user: {DEMO_EMAIL} password: {password}\n"
            f"demo API key (shown once): {token}",
            flush=True,
        )
    finally:
        await db.dispose()
