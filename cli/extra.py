"""Commands built on the core: attestations and keys, duties and reports, what-if and assertions."""

from __future__ import annotations

from . import attest_cmds, report_cmds, whatif_cmds
from .commands import EXTRA_PARSERS

EXTRA_PARSERS.extend([attest_cmds.register, report_cmds.register, whatif_cmds.register])
