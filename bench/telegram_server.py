"""A lean Telegram Bot API stand-in for benchmarks: answers at once, records when pushes arrive.

Run: ``python -m bench.telegram_server --port P``. Its own process, a bare asyncio protocol (no
framework) so it costs the machine little while the bot is measured. It answers ``getMe``,
``getUpdates`` (an empty long poll, held at most 1 s), the send methods (a minimal Message) and
anything else with ``true``; no validation: the full stand-in (``devtools.telegram``) does
that in the tests. Each send is recorded as (chat id, method, CLOCK_MONOTONIC seconds at arrival),
which other processes on the machine can compare with their own ``time.monotonic()``.

``GET /_bench/pushes?since=K`` lists the records from index K on; ``GET /_bench/health`` is 200.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time
from urllib.parse import parse_qsl

_SENDS = {"sendmessage", "sendphoto", "senddocument"}
_CHAT = re.compile(rb'chat_id"?\s*[=:]\s*"?(-?\d+)')  # form or JSON
_PART_CHAT = re.compile(rb'name="chat_id"\r\n(?:[^\r\n]+\r\n)*\r\n(-?\d+)')  # multipart
_TIMEOUT = re.compile(rb'timeout"?\s*[=:]\s*"?(\d+)')
_BODY_LIMIT = 64 * 1024 * 1024


class Recorder:
    """Sends seen so far."""

    def __init__(self, token_user_id: int) -> None:
        self.records: list[tuple[int, str, float]] = []
        self.message_id = 0
        self.bot_user = {
            "id": token_user_id,
            "is_bot": True,
            "first_name": "Warung Bench",
            "username": "warung_bench_bot",
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def answer(self, target: str, body: bytes) -> tuple[int, bytes, float]:
        """(status, JSON body, seconds to hold the answer) for one request."""
        path, _, query = target.partition("?")
        if path.startswith("/_bench/"):
            return self._control(path, query)
        method = path.rsplit("/", 1)[-1].lower()
        if method in _SENDS:
            found = _CHAT.search(body) or _PART_CHAT.search(body)
            chat = int(found.group(1)) if found else 0
            self.records.append((chat, method, time.monotonic()))
            self.message_id += 1
            message = {
                "message_id": self.message_id,
                "date": int(time.time()),
                "chat": {"id": chat, "type": "private", "first_name": "Tamu"},
                "text": "ok",
            }
            return 200, _ok(message), 0.0
        if method == "getme":
            return 200, _ok(self.bot_user), 0.0
        if method == "getupdates":
            found = _TIMEOUT.search(body)
            hold = min(1.0, float(found.group(1))) if found else 0.0
            return 200, _ok([]), hold
        if method in {"getmycommands"}:
            return 200, _ok([]), 0.0
        return 200, _ok(True), 0.0

    def _control(self, path: str, query: str) -> tuple[int, bytes, float]:
        if path == "/_bench/health":
            return 200, b'{"ok":true}', 0.0
        if path == "/_bench/pushes":
            since = int(dict(parse_qsl(query)).get("since", "0"))
            return 200, json.dumps(self.records[since:]).encode(), 0.0
        return 404, b'{"ok":false,"error_code":404,"description":"Not Found"}', 0.0


def _dechunk(buffer: bytearray, start: int) -> tuple[bytes, int] | None:
    """(body, bytes used) of a complete chunked body starting at ``start``; None if partial."""
    parts: list[bytes] = []
    at = start
    while True:
        line_end = buffer.find(b"\r\n", at)
        if line_end < 0:
            return None
        size = int(bytes(buffer[at:line_end]).split(b";")[0], 16)
        if size == 0:  # last chunk, then optional trailers and an empty line
            trailer_end = buffer.find(b"\r\n\r\n", line_end)
            return None if trailer_end < 0 else (b"".join(parts), trailer_end + 4)
        if len(buffer) < line_end + 2 + size + 2:
            return None
        parts.append(bytes(buffer[line_end + 2 : line_end + 2 + size]))
        at = line_end + 2 + size + 2


def _ok(result: object) -> bytes:
    return json.dumps({"ok": True, "result": result}, separators=(",", ":")).encode()


class _Connection(asyncio.Protocol):
    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
            headers = {}
            for line in head[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            if headers.get("transfer-encoding", "").lower() == "chunked":
                taken = _dechunk(self.buffer, end + 4)
                if taken is None:
                    return
                body, used = taken
            else:
                length = int(headers.get("content-length", "0"))
                if length > _BODY_LIMIT:
                    self._close()
                    return
                if len(self.buffer) < end + 4 + length:
                    return
                body, used = bytes(self.buffer[end + 4 : end + 4 + length]), end + 4 + length
            del self.buffer[:used]
            parts = head[0].split(" ")
            status, payload, hold = self.recorder.answer(parts[1] if len(parts) > 1 else "/", body)
            if hold:
                asyncio.get_running_loop().call_later(hold, self._write, status, payload)
            else:
                self._write(status, payload)

    def _write(self, status: int, payload: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        reason = b"OK" if status == 200 else b"Not Found"
        self.transport.write(
            b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
            % (status, reason, len(payload), payload)
        )

    def _close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def serve(port: int, token_user_id: int) -> None:
    recorder = Recorder(token_user_id)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Connection(recorder), "127.0.0.1", port)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bot-id", type=int, default=123456)
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.bot_id))


if __name__ == "__main__":
    main()
