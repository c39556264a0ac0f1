"""Shipping taskwatch: the dependency layer, the code package, the template and the deploy (one job per module).

    paths.py         where things live (repo root, build/, function/)
    zipfile_det.py   reproducible zip archives (sorted entries, fixed timestamps and modes) and their limits
    runtimes.py      FunctionGraph runtime names, their Python versions, the matching local interpreter
    requirements.py  the pinned requirements, with PEP 508 markers evaluated for the TARGET runtime
    template.py      template.yaml: load, validate against template.schema.json, resolve parameters
    redact.py        never print a secret: scrubbing and the encrypted-variables fingerprint
    obs_upload.py    PUT a zip into the state bucket (the function's own OBS header signature, imported)
    fgapi.py         the FunctionGraph v2 SDK client and the calls deploy makes
    planner.py       what exists vs what the template wants -> a list of actions (pure)
    applier.py       carry the actions out
    alarm.py         the Cloud Eye alarm rule on the function's error count: read, plan, apply (CES v2 SDK)
"""
