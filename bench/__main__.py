"""`python -m bench [--quick] [--<size> N ...]`: one local stack, the figures, a table and a JSON file."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from bench.config import from_args
from hookline import settings


def main(argv: list[str] | None = None) -> int:
    config, args = from_args(argv)
    # The handlers log and print EMF metrics to stdout, as in Lambda (their cost is part of the figures); the bench's
    # own output is the table. Powertools binds its log handler to sys.stdout when hookline is imported: swap it first.
    table_out, sys.stdout = sys.stdout, open(os.devnull, "w")  # noqa: SIM115 - open for the life of the process

    from bench.report import table
    from bench.runner import RESULTS_DIR, run_all, to_stderr
    from infra.local.stack import LocalStack

    # The bench measures the delivery path at full speed: the per-namespace rate limit (500 a minute by default, a
    # tenant's protection) would hold its deliveries for the next minute, so it is lifted for the bench's stack.
    os.environ.setdefault(settings.NAMESPACE_RATE_LIMIT_ENV, str(10**9))
    to_stderr(f"Hookline bench: starting a local stack ({config.as_dict()})")
    stack = LocalStack(aws_port=0, api_port=0, start_pollers=False).start()
    try:
        document, path = run_all(stack, config, Path(args.output_dir) if args.output_dir else RESULTS_DIR)
    finally:
        stack.stop()
    met = sum(figure["passed"] for figure in document["figures"])
    print(table(document["figures"]), file=table_out)
    for figure in document["figures"]:
        if "table" in figure["details"]:  # figure 9: the bill at each volume, as in the README
            print(f"\nFigure {figure['number']}:\n{figure['details']['table']}", file=table_out)
    print(
        f"\n{met}/{len(document['figures'])} targets met in {document['elapsed_s']:.0f}s; {path}",
        file=table_out,
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
