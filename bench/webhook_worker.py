"""`rentengine worker` with another bound on attempts sent but not yet recorded, or another share of
a subscription per claim, so that a benchmark can run it side by side with the shipped one (the
database is migrated by then):

    python -m bench.webhook_worker --max-unrecorded 1024
"""

import argparse
import logging

from rentengine.settings import Settings
from rentengine.webhooks.delivery.worker import MAX_UNRECORDED, run_worker_process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--max-unrecorded", type=int, default=MAX_UNRECORDED)
    parser.add_argument(
        "--per-subscription", type=int, default=None, help="deliveries of one subscription per claim"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run_worker_process(Settings(), max_unrecorded=args.max_unrecorded, per_subscription=args.per_subscription)


if __name__ == "__main__":
    main()
