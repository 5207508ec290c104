"""The context object Lambda passes a handler, for tests that call handlers in-process."""

from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext


class FakeLambdaContext(LambdaContext):
    """Powertools' LambdaContext with the fields the runtime would fill in (its properties read
    them), so a handler typed for the real context takes this one as it is."""

    def __init__(
        self,
        function_name: str = "inventory-handler-dev",
        *,
        function_version: str = "$LATEST",
        memory_limit_in_mb: int = 512,
        aws_request_id: str = "52fdfc07-2182-454f-963f-5f0f9a621d72",
    ) -> None:
        self._function_name = function_name
        self._function_version = function_version
        self._invoked_function_arn = (
            f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        )
        self._memory_limit_in_mb = memory_limit_in_mb
        self._aws_request_id = aws_request_id
        self._log_group_name = f"/aws/lambda/{function_name}"
        self._log_stream_name = "2026/01/01/[$LATEST]0123456789abcdef"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 60_000
