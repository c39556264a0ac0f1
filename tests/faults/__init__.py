"""The fault matrix: every external call x every fault kind, against the real handler and the emulator."""
