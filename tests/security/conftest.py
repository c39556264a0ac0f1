"""The deploy fixtures (the emulator with FunctionGraph, the packaged code) for the deploy's security tests."""

from tests.ship.conftest import code_zip, fg_emulator  # noqa: F401
