"""What the desktop window was asked for on the command line.

Its own module, Qt-free: `cli` builds it and `ui.app` reads it, and neither imports the other
for it (the window is loaded only when a window is wanted).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class GuiOptions:
    profile: Path | None  # None: the default profile (or a throw-away one with demo)
    demo: bool
    screenshot: Path | None
    report_first_paint: bool
    exit_after_first_paint: bool
    demo_offline: bool = False  # --demo --offline: local demo mail, no server (screenshots)
    second_device: bool = False  # --demo --second-device: a second window, same user
    mailto: str | None = None  # `mailapp mailto:…`: a composer filled in from the link

    @property
    def live_demo(self) -> bool:
        """--demo with the in-process server (a screenshot too: it shows what the user sees);
        --offline or a kept profile stays offline."""
        return self.demo and not self.demo_offline and self.profile is None
