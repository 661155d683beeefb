"""Outcomes decided for a flux instead of its integration, by a feature that registers here.

Qualification's fault injection makes a flux deposited by an opted-in technical account end
`IN_REJETE` or `IN_INCIDENTE` after a while, so that a client's software meets those states
on purpose. Flux must not import qualification (qualification builds on flux), so the
feature comes to flux: it registers a hook in its `AppConfig.ready()`, in qualification only.
With nothing registered (production), `integrate` asks nothing and reads nothing more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from choeur.core.errors import ChoeurError


@dataclass(frozen=True)
class InjectedOutcome:
    #: EtatFlux.REJETE (every invoice refused with `error`) or EtatFlux.INCIDENTE (the flux's
    #: technical error is `error`; resumed later as any incident).
    status: str
    #: Wall time: until then the flux waits (`IN_EN_ATTENTE_TRAITEMENT_CPP`), its
    #: integration queued again for that instant.
    due_at: datetime
    #: The readable line of its compte rendu (saying the outcome is an injected fault).
    error: ChoeurError


Hook = Callable[[object], InjectedOutcome | None]

# Keyed so that registering again (an app's ready() run twice) replaces rather than doubles.
_HOOKS: dict[str, Hook] = {}


def register(name: str, hook: Hook) -> None:
    """`hook(flux)` is asked, in the integration's transaction, when a flux is claimed."""
    _HOOKS[name] = hook


def unregister(name: str) -> None:
    _HOOKS.pop(name, None)


def registered() -> bool:
    return bool(_HOOKS)


def decide(flux) -> InjectedOutcome | None:
    """The first outcome a hook decides for this flux, or None: integrate it."""
    for hook in list(_HOOKS.values()):
        outcome = hook(flux)
        if outcome is not None:
            return outcome
    return None
