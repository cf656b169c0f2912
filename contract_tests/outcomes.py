"""The three outcomes of a test: passed, contract violated, or inconclusive (no verdict).

A test is *inconclusive* when the run could not decide whether the contract
holds: the target did not answer properly (unreachable, too slow, rate-limited,
a broken connection, an oversized body, a redirect loop), or the testing
machinery gave up (Hypothesis found its own replay flaky, a health check or a
deadline fired, no valid example could be generated). Such a test is never
reported as "Contract violated". A run with inconclusive tests and no
violation exits with :data:`EXIT_INCONCLUSIVE`.

:class:`Inconclusive` is a pytest outcome (like ``pytest.skip``'s): a
``BaseException``, so that Hypothesis does not try to shrink it (a timeout
replayed a hundred times is a hang, not a smaller example) and no
``except Exception`` in a test swallows it, and one pytest handles as an
outcome everywhere, fixtures included.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from _pytest.outcomes import OutcomeException
from hypothesis import errors as hypothesis_errors

# sysexits.h EX_TEMPFAIL: "a temporary failure; the user is invited to retry".
EXIT_INCONCLUSIVE = 75


class Inconclusive(OutcomeException):  # pytest's base of Skipped and Failed (a BaseException)
    """No verdict: the run could not decide whether the contract holds. The message says why."""

    kind = "inconclusive"

    def __init__(self, message: str) -> None:
        super().__init__(message, pytrace=False)


class TargetError(Inconclusive):
    """The target could not be reached or did not answer properly; not a contract verdict."""

    kind = "target error"


class TargetUnreachable(TargetError):
    kind = "target unreachable"


class TargetTimeout(TargetError):
    kind = "target timeout"


class TargetRateLimited(TargetError):
    kind = "target rate-limited"


class TargetConnectionLost(TargetError):
    kind = "connection lost"


class TargetResponseTooLarge(TargetError):
    kind = "response too large"


class TargetRedirectLoop(TargetError):
    kind = "redirect loop"


class TargetRedirected(TargetError):
    kind = "redirected off the API"


class TargetDown(TargetError):
    """Requests are no longer sent: the target failed several times in a row."""

    kind = "target down"


class MachineryError(Inconclusive):
    """The testing machinery (Hypothesis, schemathesis) could not reach a verdict."""

    kind = "testing machinery"


# Hypothesis's own failures: they say something about the test run, nothing about the target.
_MACHINERY = (
    hypothesis_errors.FlakyStrategyDefinition,
    hypothesis_errors.FlakyReplay,
    hypothesis_errors.FailedHealthCheck,
    hypothesis_errors.DeadlineExceeded,
    hypothesis_errors.Unsatisfiable,
)
_MACHINERY_HINTS = {
    hypothesis_errors.FlakyStrategyDefinition: "Hypothesis could not replay the run (the server's data "
    "changed between the first run and the replay, e.g. new ids)",
    hypothesis_errors.FlakyReplay: "Hypothesis could not replay the run the same way",
    hypothesis_errors.FailedHealthCheck: "a Hypothesis health check failed",
    hypothesis_errors.DeadlineExceeded: "a Hypothesis deadline fired",
    hypothesis_errors.Unsatisfiable: "Hypothesis could not generate enough valid examples",
}


def leaves(error: BaseException) -> Iterator[BaseException]:
    """The exceptions inside `error`, groups flattened."""
    yield from _leaves(error)


def _leaves(error: BaseException) -> Iterator[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            yield from _leaves(inner)
    else:
        yield error


def classify(error: BaseException) -> tuple[str, str] | None:
    """('inconclusive', readable message) when `error` is no contract verdict, else None.

    A group (Hypothesis reports several distinct failures, or a flaky one, as a
    group) is a verdict as soon as one of its failures is: a violation seen once is
    a violation, even if a replay against a live server did not see it again.
    """
    leaves = list(_leaves(error))
    if not all(isinstance(leaf, (Inconclusive, *_MACHINERY)) for leaf in leaves):
        return None
    messages = []
    for leaf in leaves:
        if isinstance(leaf, Inconclusive):
            messages.append(f"{leaf.kind}: {leaf}")
        else:
            hint = next(text for cls, text in _MACHINERY_HINTS.items() if isinstance(leaf, cls))
            first_line = (str(leaf).strip().splitlines() or [type(leaf).__name__])[0]
            messages.append(f"testing machinery: {hint} ({type(leaf).__name__}: {first_line})")
    return "inconclusive", "\n".join(dict.fromkeys(messages))


def seen_verdict(found: tuple[str, str] | None, seen: Sequence[BaseException]) -> str | None:
    """The report of a test that ended without a verdict (`found`) after it saw a violation.

    A violation seen once is a violation: Hypothesis found it while exploring, then
    could not replay the run (a live server's ids and data differ on the replay) and
    raised its own error. The verdict is the first violation seen, with why it was
    not reproduced. None: nothing was seen, or the test ended with a verdict anyway.
    """
    if found is None or not seen:
        return None
    return f"{seen[0]}\n(seen while exploring; not reproduced: {found[1]})"


def verdict_line(exitstatus: int, inconclusive: int, *, stopped: bool, not_run: str = "") -> str:
    """The report's verdict line for a run that ended with `exitstatus`, or "" where pytest's own
    summary says it all (a pass; violations and nothing else to weigh them against).

    `inconclusive`: tests that reached no verdict; `stopped`: the run was stopped because the
    target went down; `not_run`: "N of M tests did not run", when known.
    """
    if exitstatus == EXIT_INCONCLUSIVE and stopped:
        counts = "; ".join(filter(None, [not_run, f"{inconclusive} test(s) could not reach a verdict"]))
        return (
            f"verdict: INCONCLUSIVE: the target is down, the run was stopped ({counts}; none found a "
            f"violation; exit status {EXIT_INCONCLUSIVE}); see the inconclusive section above"
        )
    if exitstatus == EXIT_INCONCLUSIVE:
        return (
            f"verdict: INCONCLUSIVE: {inconclusive} test(s) could not reach a verdict and none found a "
            f"violation (exit status {EXIT_INCONCLUSIVE}); see the inconclusive section above"
        )
    if inconclusive:
        return f"verdict: contract violated; {inconclusive} more test(s) inconclusive"
    if stopped and exitstatus == 1:
        # Stopped early, yet every test that ran reached a verdict (the timeouts fell in tests that
        # had already seen a violation): say which verdict the stop leaves standing.
        return "verdict: contract violated (found before the target went down; the run was stopped)"
    return ""
