"""One error body for every error the API answers:
``{"error": {"code": ..., "message": ..., "fields": {...}}}`` (``fields``
only for invalid input: each field's messages)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

MESSAGES = {
    "invalid": "Invalid input.",
    "parse_error": "Malformed request.",
}


class Refused(exceptions.APIException):
    """A service refused the action (a claim, a follow, an invitation):
    400 with the service's reason as the message."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "refused"
    default_detail = "The action was refused."


def _first_code(codes) -> str:
    if isinstance(codes, str):
        return codes
    if isinstance(codes, list) and codes:
        return _first_code(codes[0])
    if isinstance(codes, dict) and codes:
        return _first_code(next(iter(codes.values())))
    return "error"


def _messages(detail) -> list[str] | dict:
    if isinstance(detail, dict):
        return {str(key): _messages(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [str(item) for item in detail]
    return [str(detail)]


def error_body(*, code: str, message: str, fields: dict | None = None) -> dict:
    error = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


def api_exception_handler(exc, context):
    """DRF's handler (which turns ``Http404`` and ``PermissionDenied`` into
    API exceptions and sets ``WWW-Authenticate`` and ``Retry-After``), its
    body rewritten to the one shape."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        if isinstance(detail, dict):
            fields = _messages(detail)
            code = _first_code(exc.get_codes())
            general = fields.pop("non_field_errors", None)
            message = general[0] if general else MESSAGES["invalid"]
            response.data = error_body(
                code="invalid" if code != "refused" else code,
                message=message,
                fields=fields,
            )
        else:
            messages = _messages(detail)
            response.data = error_body(
                code="invalid", message=messages[0] if messages else "Invalid."
            )
        return response
    code = _first_code(exc.get_codes()) if hasattr(exc, "get_codes") else "error"
    response.data = error_body(code=code, message=str(exc.detail))
    return response


def not_found_response() -> Response:
    return Response(
        error_body(code="not_found", message="Not found."),
        status=status.HTTP_404_NOT_FOUND,
    )
