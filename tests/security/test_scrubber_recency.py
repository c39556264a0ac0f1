"""The scrubber forgets the oldest secrets first, and a secret registered again is recent again: a warm
process's own credentials stay known however many agencies' credentials later runs register."""

from __future__ import annotations

from taskwatch.secrets_scrub import KEEP, Scrubber

OWN = "OWNSECRETvalue0123456789"


def test_re_registered_secrets_are_never_the_ones_forgotten() -> None:
    scrubber = Scrubber()
    for run in range(3):
        scrubber.register(OWN)  # each run registers its own credentials first (run.py, credentials.py)
        scrubber.register(*(f"AGENCY{run:02d}secret{n:05d}" for n in range(KEEP - 10)))
        assert scrubber(f"x {OWN} y") == "x *** y", run
    assert scrubber("AGENCY00secret00000") == "AGENCY00secret00000"  # the oldest run's are gone
    assert scrubber(f"AGENCY02secret{KEEP - 11:05d}") == "***"
