"""Run inside the demo's network namespace by tests/platform/test_fresh_machine.py (stdlib
only): wait for the demo to serve, then make the requests a newcomer's browser makes and
print what each answered, one JSON object on the last line.

    python demo_probe.py PORT TIMEOUT_SECONDS
"""

import http.client
import json
import re
import sys
import time
from http.cookies import SimpleCookie
from urllib.parse import urlencode

DEMO_HOST = "demo.localhost"
APEX_HOST = "localhost"
PASSWORD = "lumbung-demo"


class Browser:
    def __init__(self, port: int, host: str):
        self.port, self.host = port, host
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Host": f"{self.host}:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://{self.host}:{self.port}{path}"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode(errors="replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        conn.close()
        return response.status, response.getheader("Location") or "", text

    def login(self, email: str) -> tuple[int, str]:
        status, _loc, page = self.request("GET", "/masuk/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or not token:
            return status, "no login form"
        status, location, _ = self.request(
            "POST",
            "/masuk/",
            {"csrfmiddlewaretoken": token.group(1), "username": email, "password": PASSWORD},
        )
        return status, location


def wait_until_serving(port: int, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            status, _, _ = Browser(port, DEMO_HOST).request("GET", "/healthz")
            if status == 200:
                return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.2)  # a connection refused costs nothing: notice the server at once
    return -1.0


def main() -> None:
    port, timeout = int(sys.argv[1]), float(sys.argv[2])
    out: dict = {"waited": wait_until_serving(port, timeout)}
    if out["waited"] < 0:
        sys.stdout.write(json.dumps(out) + "\n")
        return
    staff = Browser(port, DEMO_HOST)
    out["healthz"] = staff.request("GET", "/healthz")[0]
    status, _, page = staff.request("GET", "/masuk/")
    out["login_page"] = [status, "csrfmiddlewaretoken" in page]
    out["admin_login"] = list(staff.login("admin@demo.lumbung.id"))
    status, _, page = staff.request("GET", "/")
    out["dashboard"] = [status, "KPRI Sejahtera Palangka Raya" in page, "/keluar/" in page]
    status, _, page = staff.request("GET", "/buku-besar/")
    out["ledger_index"] = [status, "/buku-besar/jurnal/" in page]
    member = Browser(port, DEMO_HOST)
    out["member_login"] = list(member.login("anggota@demo.lumbung.id"))
    status, _, page = member.request("GET", "/portal/")
    out["portal"] = [status, "belum terhubung" not in page and "/portal/pinjaman/" in page]
    status, _, page = Browser(port, APEX_HOST).request("GET", "/daftar/")
    out["signup"] = [status, 'name="slug"' in page]
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
