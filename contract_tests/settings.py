"""How a run is configured: environment variables, mirrored by pytest options."""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

# Package data (a symlink to the root openapi.yaml in a clone, the file itself in a wheel).
SPEC_PATH = Path(str(files(__package__ or "contract_tests").joinpath("data", "openapi.yaml"))).resolve()
AUTH_STYLES = ("bearer", "cookie", "both")
PROFILES = ("quick", "thorough")

# (option, environment variable, help); the option wins over the variable.
OPTIONS: tuple[tuple[str, str, str], ...] = (
    ("--base-url", "CONTRACT_BASE_URL", "URL of a live deployment; unset: the in-process mock"),
    ("--token", "CONTRACT_TOKEN", "token of organization A (required with --base-url)"),
    ("--other-org-token", "CONTRACT_OTHER_ORG_TOKEN", "token of organization B: enables isolation tests"),
    ("--auth", "CONTRACT_AUTH", "bearer | cookie | both (default both: each style is exercised)"),
    ("--read-only", "CONTRACT_READ_ONLY", "only GET requests, no writes at all (1/true)"),
    ("--rate-limit", "CONTRACT_RATE_LIMIT", "at most N requests per second (e.g. 20)"),
    ("--timeout", "CONTRACT_TIMEOUT", "seconds to wait for one response (default 30)"),
    ("--profile", "CONTRACT_PROFILE", "quick (default) | thorough"),
    ("--app", "CONTRACT_APP", "module:factory of an ASGI app to test in-process instead of the mock"),
    ("--spec", "CONTRACT_SPEC", "the OpenAPI document to test against (default: the kit's openapi.yaml)"),
    ("--workers", "CONTRACT_WORKERS", "processes running tests in parallel: N or auto (default: by latency)"),
    ("--max-response-mb", "CONTRACT_MAX_RESPONSE_MB", "refuse response bodies larger than this (default 16)"),
)


class SettingsError(ValueError):
    """The run is misconfigured; the message says how to fix it."""


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Settings:
    base_url: str | None = None
    token: str | None = None
    other_org_token: str | None = None
    auth: str = "both"
    read_only: bool = False
    rate_limit: float | None = None
    timeout: float = 30.0
    profile: str = "quick"
    app: str | None = None
    spec: Path = SPEC_PATH
    workers: int | None = None  # None: automatic
    max_response_mb: float = 16.0

    @property
    def live(self) -> bool:
        return self.base_url is not None

    @property
    def styles(self) -> tuple[str, ...]:
        """The credential styles this run exercises."""
        return ("bearer", "cookie") if self.auth == "both" else (self.auth,)

    @classmethod
    def from_sources(cls, options: dict[str, Any], environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        raw: dict[str, Any] = {}
        for option, variable, _ in OPTIONS:
            key = option.lstrip("-").replace("-", "_")
            value = options.get(key)
            raw[key] = value if value not in (None, False) else env.get(variable) or None
        return cls.parse(raw)

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> Settings:
        auth = (raw.get("auth") or "both").lower()
        if auth not in AUTH_STYLES:
            raise SettingsError(f"CONTRACT_AUTH/--auth must be one of {', '.join(AUTH_STYLES)}, not {auth!r}")
        profile = (raw.get("profile") or "quick").lower()
        if profile not in PROFILES:
            raise SettingsError(f"CONTRACT_PROFILE/--profile must be quick or thorough, not {profile!r}")
        base_url = (raw.get("base_url") or "").rstrip("/") or None
        if base_url and not base_url.startswith(("http://", "https://")):
            raise SettingsError(
                f"CONTRACT_BASE_URL/--base-url must start with http:// or https://: {base_url!r}"
            )
        if base_url and not raw.get("token"):
            raise SettingsError("a live target needs a token: set CONTRACT_TOKEN or pass --token")
        if base_url and raw.get("app"):
            raise SettingsError("--base-url and --app are exclusive: one target per run")
        try:
            rate = float(raw["rate_limit"]) if raw.get("rate_limit") else None
            timeout = float(raw["timeout"]) if raw.get("timeout") else 30.0
        except ValueError as exc:
            raise SettingsError(f"--rate-limit and --timeout take numbers: {exc}") from None
        if rate is not None and rate <= 0:
            raise SettingsError("--rate-limit must be a positive number of requests per second")
        if timeout <= 0:
            raise SettingsError("--timeout must be a positive number of seconds")
        workers_text = str(raw.get("workers") or "auto").strip().lower()
        if workers_text == "auto":
            workers = None
        elif workers_text.isdigit() and int(workers_text) >= 1:
            workers = int(workers_text)
        else:
            raise SettingsError(
                f"CONTRACT_WORKERS/--workers must be auto or a whole number >= 1, not {workers_text!r}"
            )
        try:
            max_mb = float(raw["max_response_mb"]) if raw.get("max_response_mb") else 16.0
        except ValueError:
            max_mb = -1.0
        if max_mb <= 0:
            raise SettingsError("CONTRACT_MAX_RESPONSE_MB/--max-response-mb must be a positive number of MiB")
        read_only = raw.get("read_only")
        return cls(
            base_url=base_url,
            token=raw.get("token"),
            other_org_token=raw.get("other_org_token"),
            auth=auth,
            read_only=read_only if isinstance(read_only, bool) else _flag(read_only),
            rate_limit=rate,
            timeout=timeout,
            profile=profile,
            app=raw.get("app"),
            spec=Path(raw["spec"]) if raw.get("spec") else SPEC_PATH,
            workers=workers,
            max_response_mb=max_mb,
        )
