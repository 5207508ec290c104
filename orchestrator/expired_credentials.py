"""AWS refusing the keys themselves (an ended Learner Lab session, or wrong keys): one message.

Learner Lab keys end after about four hours. The refusal then surfaces in many places (boto3 in
any command, terraform's provider, a check wrapped in another error) under several codes; each
becomes :class:`ExpiredCredentialsError`, which says what to do instead of showing a traceback or
a provider's raw diagnostics.
"""

from __future__ import annotations

import re

from botocore.exceptions import ClientError

from orchestrator.errors import OrchestrateError

# Codes AWS answers when the keys (not the permissions) are refused: expired session keys, a
# key id it does not know, a signed request too old (an expired session or a skewed clock).
CODES = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "RequestExpired",
        "InvalidAccessKeyId",
        "UnrecognizedClientException",
    }
)
# The same refusals as they read in terraform's diagnostics or a wrapped error's message.
_TEXT = re.compile(
    r"\b(" + "|".join(sorted(CODES)) + r")\b"
    r"|security token included in the request is (expired|invalid)",
    re.IGNORECASE,
)
GUIDE = "README: 'Learner Lab credentials, step by step'"


class ExpiredCredentialsError(OrchestrateError):
    """AWS refused the credentials: the session ended or the keys are wrong."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"AWS refused the credentials ({detail}): the AWS session has ended (Learner Lab "
            "keys last about 4 hours), or the keys are wrong",
            hint=(
                "paste fresh keys from the Learner Lab's 'AWS Details' (aws_access_key_id, "
                "aws_secret_access_key, aws_session_token) into .env, or set them in the "
                f"environment or ~/.aws/credentials ({GUIDE}; keys exported in the shell win "
                "over .env); then run the same command again: it resumes from what the state "
                "already holds"
            ),
        )


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code") or "")


def _detail(error: BaseException) -> str | None:
    """The refusal ``error`` itself reports, or None when it is about something else."""
    if isinstance(error, ClientError):
        code = _code(error)
        if code in CODES:
            message = str(error.response.get("Error", {}).get("Message") or "")
            return f"{code}: {message}" if message else code
        return None
    text = str(getattr(error, "diagnostics", "") or error)
    found = _TEXT.search(text)
    return found.group(0) if found else None


def recognize(error: BaseException) -> ExpiredCredentialsError | None:
    """The one message for ``error`` when it, or an error it was raised from, is AWS refusing
    the keys; None otherwise."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, ExpiredCredentialsError):
            return current
        seen.add(id(current))
        detail = _detail(current)
        if detail is not None:
            return ExpiredCredentialsError(detail)
        current = current.__cause__ or current.__context__
    return None


def from_text(text: str) -> ExpiredCredentialsError | None:
    """The one message when ``text`` (a check's finding, a log line) reports refused keys."""
    found = _TEXT.search(text)
    return ExpiredCredentialsError(found.group(0)) if found else None
