"""contacts-proxy: a validating proxy for the Contacts API (Prism's `proxy` mode, and beyond).

Forwards every request to an upstream byte for byte and checks every exchange
against `openapi.yaml` and the contract's rules (see `rules.RULES`), plus
behavioural rules over each client's traffic. See docs/proxy.md.
"""

from .app import ProxyApp, ProxyOptions, create_app
from .checks import ContractChecks, Finding
from .monitor import Monitor
from .rules import RULES

__all__ = ["RULES", "ContractChecks", "Finding", "Monitor", "ProxyApp", "ProxyOptions", "create_app"]
