"""Helpers of the API tests: a client that speaks real HTTP (stdlib only), and refusal checks."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass

from rest_framework.authtoken.models import Token

from yousu.appeals.services import appeal_create

SCRIPT = "<script>alert(1)</script>"
CITIZEN_PHONE = "13800005678"
CITIZEN_NAME = "王小明"


@dataclass
class Answer:
    status: int
    body: object
    raw: bytes
    headers: dict

    @property
    def error(self) -> dict:
        return self.body["error"]


class Api:
    """A tiny HTTP client: JSON in, JSON out, a token per person."""

    def __init__(self, base_url: str):
        self.base_url = base_url

    def call(
        self, method, path, person=None, *, json_body=None, form=None, files=None, headers=None, raw=None
    ):
        headers = dict(headers or {})
        headers.setdefault("Accept", "application/json")
        if person is not None:
            token, _created = Token.objects.get_or_create(user=person)
            headers["Authorization"] = f"Token {token.key}"
        data = raw
        if json_body is not None:
            data = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json"
        elif form is not None or files is not None:
            data, headers["Content-Type"] = multipart(form or {}, files or [])
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, body, response_headers = response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as exc:
            status, body, response_headers = exc.code, exc.read(), dict(exc.headers)
        content_type = response_headers.get("Content-Type", "")
        parsed = json.loads(body) if body and "json" in content_type else body.decode("utf-8", "replace")
        return Answer(status=status, body=parsed, raw=body, headers=response_headers)

    def get(self, path, person=None, **kwargs):
        return self.call("GET", path, person, **kwargs)

    def post(self, path, person=None, body=None, **kwargs):
        return self.call("POST", path, person, json_body=body if body is not None else {}, **kwargs)


def multipart(fields: dict, files: list[tuple[str, str, bytes, str]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    for name, filename, content, content_type in files:
        parts.append(
            (
                f"--{boundary}\r\nContent-Disposition: form-data; "
                f'name="{name}"; filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'
            ).encode()
            + content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def assert_refused(answer: Answer, statuses=(403, 404), *secrets: str) -> None:
    """Refused with a JSON error, and nothing but the error in the body."""
    assert answer.status in statuses, (answer.status, answer.body)
    assert set(answer.body) == {"error"}, answer.body
    assert {"code", "message", "field"} <= set(answer.error)
    text = answer.raw.decode("utf-8")
    for secret in secrets:
        assert secret not in text, secret


def make_appeal(world, **overrides):
    fields = {
        "kind": "complaint",
        "channel": "hotline",
        "title": "餐饮店油烟污染严重",
        "content": "新城大道某餐饮店油烟直排，影响小区居民。",
        "intake_unit": world.units.platform,
        "received_by": world.people.operator,
        "area": world.areas.grid,
        "item": world.items.fumes,
        "citizen_name": CITIZEN_NAME,
        "citizen_phone": CITIZEN_PHONE,
    }
    fields.update(overrides)
    return appeal_create(**fields)
