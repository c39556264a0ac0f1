"""Shipping taskwatch: the dependency layer, the code package, the template and the deploy (one job per module).

    paths.py         where things live (repo root, build/, function/)
    zipfile_det.py   reproducible zip archives (sorted entries, fixed timestamps and modes) and their limits
    runtimes.py      FunctionGraph runtime names, their Python versions, the matching local interpreter
    requirements.py  the lock (pins with sha256 hashes), markers evaluated for the TARGET runtime; wheel checks
    template.py      template.yaml: load, validate against template.schema.json, resolve parameters
    redact.py        never print a secret: scrubbing and the encrypted-variables fingerprint
    obs_upload.py    PUT a zip into the state bucket (the function's own OBS header signature, imported)
    fgapi.py         the FunctionGraph v2 SDK client and the calls deploy makes
    planner.py       what exists vs what the template wants -> a list of actions (pure)
    applier.py       carry the actions out
    policy.py        the IAM policies (agency: regional and global; deployer), filled in and checked
    alarm.py         the Cloud Eye alarm rule on the function's error count: read, plan, apply (CES v2 SDK)
    hcl.py           a small HCL writer (blocks, attributes, values) for the generated Terraform files
    terraform.py     template.yaml -> layers/terraform/*.tf (huaweicloud provider), `make terraform`
"""
