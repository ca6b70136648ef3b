#!/usr/bin/env python3
"""A loopback stand-in for the Census geocoder, speaking its real wire format.

    python3 scripts/census-standin.py PORT_FILE

Listens on a free 127.0.0.1 port, writes the port to PORT_FILE, and answers every
`GET .../geographies/(onelineaddress|address)` with a recorded Census answer from
tests/fixtures/civic/census/: no match when the address mentions "nowhere", else the Springfield,
MA match, or, when the address carries a fixture's name in brackets (`[mo_match]`, `[nh]`, ...), that
recorded answer. Used by scripts/fuzz-api and scripts/cluster so the service's lookups succeed without
the network (the cluster spreads its simulated supporters over several states this way).
"""
import http.server
import pathlib
import re
import sys
import urllib.parse

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "tests/fixtures/civic/census"
MATCH = (FIXTURES / "ma_named.json").read_bytes()
NO_MATCH = (FIXTURES / "no_match.json").read_bytes()
# Every recorded answer by its file name, for addresses that name one: "[mo_match]".
NAMED = {path.stem: path.read_bytes() for path in FIXTURES.glob("*.json")}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if not url.path.endswith(("/geographies/onelineaddress", "/geographies/address")):
            self.send_error(404)
            return
        query = urllib.parse.parse_qs(url.query)
        said = " ".join(query.get("address", []) + query.get("street", [])).lower()
        named = re.search(r"\[([a-z0-9_]+)\]", said)
        if named and named.group(1) in NAMED:
            body = NAMED[named.group(1)]
        else:
            body = NO_MATCH if "nowhere" in said else MATCH
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass  # the fuzzer sends thousands of requests; the service logs its own side


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    pathlib.Path(sys.argv[1]).write_text(str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()
