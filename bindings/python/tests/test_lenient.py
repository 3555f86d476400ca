"""Every response shape the API's decoding rules allow, from a canned loopback server."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

import bsa_lms

ROUTES = {
    "/v1/loans/1": '{"id":"1","externalId":null,"termFrequency":12.0,"numberOfRepayments":null}',
    "/v1/loans": '{"items":null,"total":0.0}',
    "/v1/loans/2/rollback": '["undo-approval","delete"]',
    "/v1/loans/3/rollback": "",
    "/v1/loans/5": '{"deleted":true}',
    "/v1/loans/6": "",
}


class _Handler(http.server.BaseHTTPRequestHandler):
    def _answer(self) -> None:
        body = ROUTES.get(self.path.split("?")[0], "").encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def canned() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_allowed_shapes_decode(canned: str) -> None:
    with bsa_lms.Client(base_url=canned, auth_url=canned, token="static-token") as client:
        loan = client.get_loan("1")
        assert loan.external_id is None
        assert loan.term_frequency == 12 and isinstance(loan.term_frequency, int)
        assert loan.number_of_repayments is None
        page = client.list_loans()
        assert page.items == [] and list(page) == []
        assert client.rollback_loan("2") == ["undo-approval", "delete"]
        assert client.rollback_loan("3") is None
        client.delete_loan("5")
        client.delete_loan("6")
