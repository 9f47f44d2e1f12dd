"""The one error type every layer raises: an HTTP status plus Fivetran's `{"code", "message"}` body."""

from __future__ import annotations


class ApiError(Exception):
    """An answer that is not a success: status, Fivetran error `code`, a message naming cause and fix."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict[str, str]:
        """The JSON error body, as the real API sends it."""
        return {"code": self.code, "message": self.message}


def invalid(message: str) -> ApiError:
    """A 400 `InvalidInput`: the request names a field badly; the message says which and how to fix it."""
    return ApiError(400, "InvalidInput", message)
