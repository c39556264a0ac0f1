"""`make terraform`: write layers/terraform/*.tf from template.yaml (ship/terraform.py); --check only compares.

    python layers/terraform_gen.py           # rewrite the files
    python layers/terraform_gen.py --check   # exit 1 naming the files that differ from what would be written
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ship import terraform
from ship.template import TemplateError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare only; change nothing")
    parser.add_argument("--template", type=Path, default=terraform.paths.TEMPLATE)
    args = parser.parse_args(argv)
    try:
        if args.check:
            stale = terraform.check(args.template)
            for name in stale:
                print(f"layers/terraform/{name}: differs from {args.template.name}; run `make terraform`",
                      file=sys.stderr)
            return 1 if stale else 0
        for path in terraform.write(args.template):
            print(f"wrote {path.relative_to(terraform.paths.REPO)}")
    except (TemplateError, terraform.GenerationError) as exc:
        print(f"terraform: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
