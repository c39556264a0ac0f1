"""`make terraform`: write layers/terraform/*.tf (Terraform) and layers/terraform/rfs/*.tf (Resource Formation
Service) from template.yaml (ship/terraform.py); --check only compares.

    python layers/terraform_gen.py           # rewrite the files
    python layers/terraform_gen.py --check   # exit 1 naming the files that differ from what would be written
    python layers/terraform_gen.py --rfs     # also: build/terraform/taskwatch-terraform.zip (rfs/) for a stack,
                                             # and the object keys to upload the code and layer zips under
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
    parser.add_argument("--rfs", action="store_true", help="also package the .tf files for RFS")
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
        if args.rfs:
            print(f"wrote {terraform.rfs_package().describe()}")
            rfs_keys(args.template)
    except (TemplateError, terraform.GenerationError) as exc:
        print(f"terraform: {exc}", file=sys.stderr)
        return 2
    return 0


def rfs_keys(template: Path) -> None:
    """Where to upload the zips for RFS (it has no local files): the keys code_object and layer_object take."""
    d = terraform.deployment(template)
    for variable, path, target in (("code_object", d.code_zip, "make package"), ("layer_object", d.layer_zip,
                                                                                  "make layer")):
        if path.is_file():
            print(f"{variable} = \"{terraform.object_key(path)}\"   # upload {path.relative_to(terraform.paths.REPO)}")
        else:
            print(f"{variable}: {path.relative_to(terraform.paths.REPO)} is missing: run `{target}` first")


if __name__ == "__main__":
    sys.exit(main())
