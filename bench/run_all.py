"""Run every benchmark with its default settings, one after the other (`make bench`).

The crawl benchmark on the small account took about 26 minutes at 2 requests/s on a 2-CPU
machine, most of it in the naive and DataHub runs.
"""

from __future__ import annotations

import logging
import subprocess
import sys

logger = logging.getLogger(__name__)

BENCHMARKS = ("bench.crawl_bench", "bench.search_bench")


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    failed = []
    for module in BENCHMARKS:
        logger.info("running %s", module)
        completed = subprocess.run([sys.executable, "-m", module], check=False)
        if completed.returncode != 0:
            logger.error("%s failed with exit code %d", module, completed.returncode)
            failed.append(module)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
