"""drf-spectacular post-processing: the one error body, documented once and
referenced by every operation for the errors it can answer."""

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": True,
                    "description": "Invalid input: each field's messages.",
                },
            },
        }
    },
}
ERRORS = {
    "400": "Invalid input, or the action was refused (the message says why).",
    "401": "Not logged in (no session, no valid token).",
    "403": "Not allowed (a session request without its CSRF token).",
    "404": "No such thing, or hidden.",
    "405": "Method not allowed.",
    "429": "Too many requests: wait the seconds `Retry-After` says.",
    "503": "Briefly unavailable (the database, or the rate limits of a write, "
    "could not be reached): try again after `Retry-After`.",
}


def error_responses_add(result, generator, request, public):
    """Every operation answers its errors in the one shape."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = (
        ERROR_SCHEMA
    )
    reference = {"$ref": "#/components/schemas/Error"}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for code, description in ERRORS.items():
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": reference}},
                    },
                )
    return result
