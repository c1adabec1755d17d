"""The body rules the real services apply before touching the database, applied by the mock too.

Schema validation is shared through the real routes' signatures; these are the few rules a schema
cannot express (create-only required fields, one-of identifiers, year bounds), called from the same
functions the services call, so the mock refuses what the server refuses.
"""

from collections.abc import Callable
from typing import Any

from rentengine.lockboxes.service import check_code_request
from rentengine.properties.service import check_body as check_property
from rentengine.units.service import check_body as check_unit
from rentengine.webhooks.service import check_body as check_webhook

# Operation id (the endpoint's name) → the check of its `body` parameter.
BODY_CHECKS: dict[str, Callable[[Any], None]] = {
    "upsert_unit": check_unit,
    "upsert_multifamily_property": check_property,
    "generate_code": check_code_request,
    "upsert_webhook": check_webhook,
}
