#!/usr/bin/python3
"""The platform's JSON API driven as the pages drive it, over HTTPS with a cookie jar.

Each check prints "ok N - what"; the first failure raises and the script exits 1. Environment:
GZCA_BASE_URL, GZCA_BIN, GZCA_DATA_DIR, GZCA_CONFIG (set by platform_api_test.sh).
"""
import hashlib
import hmac
import http.cookiejar
import json
import os
import re
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

BASE = os.environ["GZCA_BASE_URL"]
GZCA = [os.environ["GZCA_BIN"], "--data-dir", os.environ["GZCA_DATA_DIR"], "--config",
        os.environ["GZCA_CONFIG"]]
SECRETS = []  # strings that must never appear in the server log
checks = 0


def ok(what):
    global checks
    checks += 1
    print(f"ok {checks} - {what}", flush=True)


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    ok(what)


def gz(*args):
    out = subprocess.run(GZCA + list(args), capture_output=True, text=True)
    if out.returncode != 0:
        raise AssertionError(f"gzca {' '.join(args)} failed: {out.stderr}")
    return out.stdout


class Client:
    """One browser: cookies, the CSRF token, JSON in and out."""

    def __init__(self):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=ctx),
            urllib.request.HTTPCookieProcessor(self.jar))
        self.csrf = None

    def call(self, method, path, body=None, headers=None, raw=None, csrf=True):
        data = None
        hdrs = dict(headers or {})
        if raw is not None:
            data = raw
        elif body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        if csrf and method != "GET" and self.csrf:
            hdrs.setdefault("X-CSRF-Token", self.csrf)
        req = urllib.request.Request(BASE + path, data=data, method=method, headers=hdrs)
        try:
            with self.opener.open(req, timeout=30) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def json(self, method, path, body=None, **kw):
        status, headers, data = self.call(method, path, body, **kw)
        try:
            parsed = json.loads(data) if data else {}
        except json.JSONDecodeError:
            raise AssertionError(f"{method} {path}: not JSON ({status}): {data[:200]!r}")
        return status, parsed

    def refresh_csrf(self):
        status, s = self.json("GET", "/api/platform/session")
        assert status == 200, s
        self.csrf = s["csrf_token"]
        return s

    def login(self, phone):
        self.refresh_csrf()
        status, c = self.json("POST", "/api/platform/captcha")
        assert status == 200, c
        answer = gz("captcha", "answer", c["captcha_id"]).strip()
        status, r = self.json("POST", "/api/platform/login/sms-code",
                              {"phone": phone, "captcha_id": c["captcha_id"],
                               "captcha_answer": answer})
        assert status == 200, r
        code = last_code(phone)
        status, r = self.json("POST", "/api/platform/login", {"phone": phone, "code": code})
        assert status == 200, r
        self.csrf = r["csrf_token"]
        return r


def last_code(phone):
    messages = json.loads(gz("--json", "outbox", "list", "--to", phone, "--limit", "1"))
    assert messages, f"no SMS to {phone} in the outbox"
    code = re.search(r"(\d{6})", messages[0]["body"]).group(1)
    SECRETS.append(code)
    return code


# Tiny but real files of each accepted type, and one that is not.
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
HTML = b"<html><script>alert(1)</script></html>"


def upload(client, order_no, kind, data, name):
    return client.json("PUT", f"/api/platform/orders/{order_no}/materials/{kind}", raw=data,
                       headers={"X-File-Name": urllib.parse.quote(name),
                                "Content-Type": "application/octet-stream"})


def main():
    import urllib.parse  # noqa: F401  (used through urllib.parse.quote above)

    # ---- anonymous visitors --------------------------------------------------------------
    anon = Client()
    status, site = anon.json("GET", "/api/platform/site")
    check(status == 200 and site["service_phone"] == "400-0560-010" and site["fees"]["renew"] > 0,
          "site info with the service phone and fees")
    status, s = anon.json("GET", "/api/platform/session")
    check(status == 200 and not s["logged_in"] and len(s["csrf_token"]) == 64,
          "an anonymous session with a CSRF token")
    cookie = [c for c in anon.jar if c.name == "gzca_sid"]
    check(cookie and cookie[0].secure and cookie[0].has_nonstandard_attr("HttpOnly"),
          "session cookie is Secure and HttpOnly")
    status, r = anon.json("POST", "/api/platform/captcha", csrf=False)
    check(status == 403 and r["code"] == "csrf", "a state change without the CSRF token is refused")
    anon.csrf = s["csrf_token"]
    status, r = anon.json("GET", "/api/platform/me")
    check(status == 401 and r["code"] == "unauthenticated", "我的信息 needs a login")
    status, r = anon.json("GET", "/api/platform/orders/GZ20260101000001")
    check(status == 401, "orders need a login")

    # ---- login by SMS --------------------------------------------------------------------
    status, c = anon.json("POST", "/api/platform/captcha")
    check(status == 200 and c["image"].startswith("data:image/png;base64,"), "captcha as a PNG")
    status, r = anon.json("POST", "/api/platform/login/sms-code",
                          {"phone": "13800138000", "captcha_id": c["captcha_id"],
                           "captcha_answer": "wrong"})
    check(status == 400 and r["code"] == "captcha_invalid", "wrong captcha answer refused")
    answer = gz("captcha", "answer", c["captcha_id"]).strip()
    status, r = anon.json("POST", "/api/platform/login/sms-code",
                          {"phone": "13800138000", "captcha_id": c["captcha_id"],
                           "captcha_answer": answer})
    check(status == 400 and r["code"] == "captcha_invalid", "a captcha is spent by a wrong guess")
    status, r = anon.json("POST", "/api/platform/login/sms-code",
                          {"phone": "12345", "captcha_id": "x", "captcha_answer": "y"})
    check(status == 400 and r["code"] == "invalid_argument", "not a mobile number")
    status, r = anon.json("POST", "/api/platform/login/sms-code", raw=b"{not json",
                          headers={"Content-Type": "application/json"})
    check(status == 400 and r["code"] == "invalid_argument", "malformed JSON refused")

    status, c = anon.json("POST", "/api/platform/captcha")
    answer = gz("captcha", "answer", c["captcha_id"]).strip()
    status, r = anon.json("POST", "/api/platform/login/sms-code",
                          {"phone": "13800138000", "captcha_id": c["captcha_id"],
                           "captcha_answer": answer.upper()})
    check(status == 200 and r["sent"] and r["retry_after_seconds"] == 60,
          "SMS code sent (captcha answer case-insensitive)")
    status, c2 = anon.json("POST", "/api/platform/captcha")
    answer2 = gz("captcha", "answer", c2["captcha_id"]).strip()
    status, r = anon.json("POST", "/api/platform/login/sms-code",
                          {"phone": "13800138000", "captcha_id": c2["captcha_id"],
                           "captcha_answer": answer2})
    check(status == 429 and r["code"] == "rate_limited" and 0 < r["retry_after_seconds"] <= 60,
          "a second code within 60 s is refused with retry_after")
    code = last_code("13800138000")
    wrong = "000000" if code != "000000" else "111111"
    status, r = anon.json("POST", "/api/platform/login", {"phone": "13800138000", "code": wrong})
    check(status == 400 and r["code"] == "code_invalid" and r["attempts_left"] == 4,
          "wrong SMS code: 4 attempts left")
    old_cookie = [c.value for c in anon.jar if c.name == "gzca_sid"][0]
    status, r = anon.json("POST", "/api/platform/login", {"phone": "13800138000", "code": code})
    check(status == 200 and r["subscriber"]["name"] == "张三", "logged in as the demo subscriber")
    new_cookie = [c.value for c in anon.jar if c.name == "gzca_sid"][0]
    check(new_cookie != old_cookie, "login rotates the session id")
    alice = anon
    alice.csrf = r["csrf_token"]
    status, r = alice.json("POST", "/api/platform/login", {"phone": "13800138000", "code": code})
    check(status == 400 and r["code"] == "code_expired", "a code logs in once")

    # Unknown phone: same answers until the code is right.
    stranger = Client()
    stranger.refresh_csrf()
    status, c = stranger.json("POST", "/api/platform/captcha")
    answer = gz("captcha", "answer", c["captcha_id"]).strip()
    status, r = stranger.json("POST", "/api/platform/login/sms-code",
                              {"phone": "13912345678", "captcha_id": c["captcha_id"],
                               "captcha_answer": answer})
    check(status == 200 and r["sent"], "unknown phone: the same answer (no oracle)")
    status, r = stranger.json("POST", "/api/platform/login",
                              {"phone": "13912345678", "code": last_code("13912345678")})
    check(status == 403 and r["code"] == "no_account" and "开通" in r["message"],
          "unknown phone with the right code: a clear 'no account' message")

    # ---- 我的信息 ------------------------------------------------------------------------
    status, me = alice.json("GET", "/api/platform/me")
    check(status == 200 and me["subscriber"]["phone_masked"] == "138****8000"
          and me["subscriber"]["id_card_masked"].endswith("002X")
          and "*" in me["subscriber"]["id_card_masked"], "我的信息 masks phone and ID number")
    certs = me["certificates"]
    check(len(certs) == 1 and certs[0]["renewable"] and certs[0]["days_left"] > 300,
          "the demo certificate is listed and renewable")
    serial = certs[0]["serial"]
    old_not_after = certs[0]["not_after"]

    # A second subscriber in another organisation, for isolation checks.
    gz("user", "create", "--org-name", "另一家机构", "--org-credential", "91110000MA0000000H",
       "--legal-representative", "赵六", "--name", "李雷", "--phone", "13700137000",
       "--id-card", "110101199003074477", "--user-id", "lilei", "--department", "办公室",
       "--address", "北京市东城区")
    SECRETS.extend(["110101199003074477", "11010519491231002X"])
    bob = Client()
    bob.login("13700137000")
    ok("second subscriber logged in")

    # ---- step 1: the order ---------------------------------------------------------------
    form = {
        "org_name": "国资CA演示机构", "legal_representative": "王五",
        "credential_type": "business_licence", "credential_number": "91350100M000100Y43",
        "org_phone": "010-63191049", "org_fax": "",
        "user_identifier": "demo-zhangsan", "department": "信息中心", "user_name": "张三",
        "phone": me["subscriber"]["phone_masked"], "id_card": me["subscriber"]["id_card_masked"],
        "email": "zhangsan@example.com", "contact_address": "北京市西城区宣武门西大街26号",
        "certificate_serial": serial,
    }
    status, r = alice.json("POST", "/api/platform/orders",
                           {"type": "renew", "form": form, "idempotency_key": "k1"})
    check(status == 400 and r["code"] == "agreement_required", "the agreement must be accepted")
    bad = dict(form, credential_number="91350100M000100Y44", id_card="110105194912310021",
               phone="1234", email="not-an-email")
    status, r = alice.json("POST", "/api/platform/orders",
                           {"type": "renew", "agree": True, "form": bad, "idempotency_key": "k1"})
    check(status == 400 and {"credential_number", "id_card", "phone", "email"} <= set(r["fields"]),
          "field errors: USCC and ID check digits, phone, e-mail — all reported at once")
    status, r = alice.json("POST", "/api/platform/orders",
                           {"type": "renew", "agree": True,
                            "form": dict(form, certificate_serial="00" * 16),
                            "idempotency_key": "k0"})
    check(status == 404, "a certificate that is not the subscriber's is refused")
    status, r = bob.json("POST", "/api/platform/orders",
                         {"type": "renew", "agree": True,
                          "form": dict(form, phone="13700137000", id_card="110101199003074477"),
                          "idempotency_key": "b1"})
    check(status == 404, "another subscriber cannot file for Alice's certificate")
    status, r = alice.json("POST", "/api/platform/orders",
                           {"type": "renew", "agree": True, "form": form, "idempotency_key": "k1"})
    check(status == 201 and r["order"]["state"] == "draft" and r["order"]["step"] == 2,
          "renewal order created (draft, step 2: print the form)")
    order = r["order"]
    no = order["order_no"]
    check(order["form"]["id_card_masked"].endswith("002X") and "id_card" not in order["form"],
          "the order shows the ID number masked only")
    status, r = alice.json("POST", "/api/platform/orders",
                           {"type": "renew", "agree": True, "form": form, "idempotency_key": "k1"})
    check(status == 201 and r["order"]["order_no"] == no, "a double submit creates one order")
    status, r = alice.json("POST", "/api/platform/orders",
                           {"type": "renew", "agree": True, "form": form, "idempotency_key": "k2"})
    check(status == 409 and no in r["message"], "one open renewal per certificate")
    status, r = alice.json("GET", "/api/platform/orders")
    check(status == 200 and [o["order_no"] for o in r["orders"]] == [no], "the order is listed")
    status, r = bob.json("GET", f"/api/platform/orders/{no}")
    check(status == 404, "another subscriber cannot see the order")
    status, r = bob.json("GET", "/api/platform/orders")
    check(status == 200 and r["orders"] == [], "…nor list it")

    # ---- step 2: the printed form ---------------------------------------------------------
    status, headers, pdf = alice.call("GET", f"/api/platform/orders/{no}/form.pdf")
    check(status == 200 and pdf.startswith(b"%PDF-")
          and "attachment" in headers["Content-Disposition"], "the application form PDF")
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        text = subprocess.run(["pdftotext", "-layout", f.name, "-"], capture_output=True,
                              text=True).stdout
    check(no in text and "国资CA演示机构" in text and "11010519491231002X" in text
          and serial in text.replace(" ", "") and "盖章" in text,
          "the PDF carries the order number, organisation, ID number, serial and the seal box")
    status, _, _ = bob.call("GET", f"/api/platform/orders/{no}/form.pdf")
    check(status == 404, "another subscriber cannot print it")
    status, headers, blank = anon.call("GET", "/api/platform/forms/blank.pdf")
    check(status == 200 and blank.startswith(b"%PDF-"), "the blank form")
    status, r = alice.json("PUT", f"/api/platform/orders/{no}/materials/id_copy", raw=PDF)
    check(status == 409, "no uploads before the form is printed")
    status, r = alice.json("POST", f"/api/platform/orders/{no}/printed")
    check(status == 200 and r["order"]["state"] == "materials" and r["order"]["step"] == 3,
          "form printed: step 3, uploads")
    status, r = alice.json("POST", f"/api/platform/orders/{no}/printed")
    check(status == 200 and r["order"]["state"] == "materials", "printing again changes nothing")

    # ---- step 3: uploads ------------------------------------------------------------------
    status, r = upload(alice, no, "application_form", HTML, "form.pdf")
    check(status == 415 and r["code"] == "unsupported_media_type",
          "HTML named .pdf is refused: type by content")
    status, r = upload(alice, no, "application_form", b"", "empty.pdf")
    check(status == 400, "an empty file is refused")
    # Over 10 MB: curl, like a browser's fetch, sends Expect: 100-continue and gets the 413
    # before the body (urllib would send it all into a closed connection).
    with tempfile.NamedTemporaryFile(suffix=".pdf") as big:
        big.write(PDF + b"\0" * (10 * 1024 * 1024))
        big.flush()
        sid = [c.value for c in alice.jar if c.name == "gzca_sid"][0]
        out = subprocess.run(
            ["curl", "-sk", "-X", "PUT", "--data-binary", "@" + big.name, "-H",
             "X-CSRF-Token: " + alice.csrf, "-b", "gzca_sid=" + sid, "-w", "\n%{http_code}",
             f"{BASE}/api/platform/orders/{no}/materials/application_form"],
            capture_output=True, text=True)
        body, _, code = out.stdout.rpartition("\n")
    check(code == "413" and json.loads(body)["code"] == "payload_too_large",
          "over 10 MB is refused (413)")
    status, r = upload(alice, no, "not_a_kind", PDF, "x.pdf")
    check(status == 400, "unknown material kind refused")
    status, r = upload(bob, no, "application_form", PDF, "x.pdf")
    check(status == 404, "another subscriber cannot upload into the order")
    status, r = alice.json("POST", f"/api/platform/orders/{no}/submit")
    check(status == 409 and "业务申请单" in r["message"], "submit needs the three materials")
    status, r = upload(alice, no, "application_form", PDF, "受理表.pdf")
    check(status == 200 and r["material"]["media_type"] == "application/pdf"
          and r["material"]["original_name"] == "受理表.pdf", "application form uploaded (PDF)")
    status, r = upload(alice, no, "business_licence", PNG, "licence.png")
    check(status == 200 and r["material"]["media_type"] == "image/png", "licence uploaded (PNG)")
    status, r = upload(alice, no, "id_copy", PNG, "id.png")
    status, r = upload(alice, no, "id_copy", JPEG, "id.jpg")
    check(status == 200 and r["material"]["media_type"] == "image/jpeg", "re-upload replaces")
    status, headers, body = alice.call("GET", f"/api/platform/orders/{no}/materials/id_copy")
    check(status == 200 and body == JPEG and headers["Content-Type"] == "image/jpeg"
          and headers["Content-Disposition"].startswith("inline")
          and headers["X-Content-Type-Options"] == "nosniff", "preview returns the file")
    status, _, _ = bob.call("GET", f"/api/platform/orders/{no}/materials/id_copy")
    check(status == 404, "another subscriber cannot read the file")
    status, r = alice.json("GET", f"/api/platform/orders/{no}")
    kinds = {m["kind"]: m["uploaded"] for m in r["order"]["materials"]}
    check(kinds == {"application_form": True, "business_licence": True, "id_copy": True,
                    "payment_voucher": False}, "the order resumes with its uploads (已上传)")
    status, r = alice.json("POST", f"/api/platform/orders/{no}/submit")
    check(status == 200 and r["order"]["state"] == "awaiting_payment" and r["order"]["step"] == 4,
          "submitted: step 4, payment")

    # ---- step 4: payment ------------------------------------------------------------------
    status, r = alice.json("POST", f"/api/platform/orders/{no}/payment", {"method": "offline"})
    check(status == 409 and "支付凭证" in r["message"], "offline payment needs the voucher")
    status, r = alice.json("POST", f"/api/platform/orders/{no}/payment", {"method": "bitcoin"})
    check(status == 400, "unknown payment method refused")
    status, r = alice.json("POST", f"/api/platform/orders/{no}/payment", {"method": "online"})
    check(status == 200 and r["checkout_url"].startswith("/pay/sandbox/pay_"),
          "online payment: the sandbox checkout")
    ref = r["payment_ref"]
    status, r2 = alice.json("POST", f"/api/platform/orders/{no}/payment", {"method": "online"})
    check(r2["payment_ref"] == ref, "paying again resumes the same payment")
    status, p = anon.json("GET", f"/api/sandbox-pay/{ref}")
    check(status == 200 and p["order_no"] == no and p["amount"] == order["fee"]
          and p["state"] == "pending", "the provider's checkout shows the order and amount")

    # Forged and wrong notifications change nothing.
    key = open(os.path.join(os.environ["GZCA_DATA_DIR"], "keys", "sandbox-merchant.key"),
               "rb").read()

    def notify(payload, sign_with=key):
        body = json.dumps(payload).encode()
        sig = hmac.new(sign_with, body, hashlib.sha256).hexdigest()
        return anon.json("POST", "/api/platform/payments/notify/sandbox", raw=body,
                         headers={"X-Sandbox-Signature": sig,
                                  "Content-Type": "application/json"}, csrf=False)

    good = {"notify_id": "n1", "payment_ref": ref, "order_no": no, "amount_fen": order["fee"],
            "status": "paid", "paid_at": int(time.time())}
    status, r = notify(good, sign_with=b"x" * 32)
    check(status == 401, "a notification with a wrong signature is refused")
    status, r = notify(dict(good, amount_fen=1))
    check(status == 400, "a notification with the wrong amount is refused")
    status, r = notify(dict(good, order_no="GZ20990101000000"))
    check(status == 400, "a notification for another order is refused")
    status, r = alice.json("GET", f"/api/platform/orders/{no}")
    check(r["order"]["state"] == "awaiting_payment", "…and the order did not move")

    status, r = anon.json("POST", f"/api/sandbox-pay/{ref}/confirm")
    check(status == 200 and r["return_url"] == f"/orders/{no}", "paid at the sandbox")
    for _ in range(100):  # the provider's notification is asynchronous
        status, r = alice.json("GET", f"/api/platform/orders/{no}")
        if r["order"]["state"] != "awaiting_payment":
            break
        time.sleep(0.1)
    o = r["order"]
    check(o["state"] == "in_review" and o["payment"]["state"] == "paid" and "due_at" in o,
          "the signed notification arrived: in review, with a due date")
    status, r = notify(good)
    check(status == 200, "a repeated notification is accepted…")
    status, r = alice.json("GET", f"/api/platform/orders/{no}")
    check(r["order"]["state"] == "in_review"
          and sum(1 for e in r["order"]["timeline"] if e["event"] == "paid") == 1,
          "…and applied once")
    status, r = alice.json("POST", f"/api/platform/orders/{no}/cancel")
    check(status == 409, "no cancelling once in review")
    status, _, _ = alice.call("GET", f"/api/platform/orders/{no}/certificate")
    check(status == 409, "no certificate before approval")

    # ---- review (operator, CLI until the console exists) → download ------------------------
    gz("order", "approve", no, "--comment", "材料齐全")
    status, r = alice.json("GET", f"/api/platform/orders/{no}")
    o = r["order"]
    check(o["state"] == "ready" and o["issued_certificate_serial"] and "download" in o["actions"],
          "approved: the renewed certificate is ready to download")
    status, headers, pem = alice.call("GET", f"/api/platform/orders/{no}/certificate?format=pem")
    check(status == 200 and pem.startswith(b"-----BEGIN CERTIFICATE-----"), "PEM download")
    status, headers, der = alice.call("GET", f"/api/platform/orders/{no}/certificate?format=der")
    check(status == 200 and der[0] == 0x30, "DER download")
    status, headers, chain = alice.call("GET",
                                        f"/api/platform/orders/{no}/certificate?format=chain")
    check(chain.count(b"BEGIN CERTIFICATE") == 3, "the chain: certificate, issuing CA, root")
    with tempfile.TemporaryDirectory() as d:
        open(f"{d}/chain.pem", "wb").write(chain)
        parts = chain.decode().split("-----END CERTIFICATE-----\n")
        open(f"{d}/leaf.pem", "w").write(parts[0] + "-----END CERTIFICATE-----\n")
        open(f"{d}/issuing.pem", "w").write(parts[1] + "-----END CERTIFICATE-----\n")
        open(f"{d}/root.pem", "w").write(parts[2] + "-----END CERTIFICATE-----\n")
        # SM2 with the GM/T 0009 default ID: OpenSSL 3.0's `verify -vfyopt distid:` sets the
        # ID on the target certificate only, so the chain is checked link by link
        # (docs/sm2-signer-id.md).
        def verify(*args):
            v = subprocess.run(["openssl", "verify", "-vfyopt", "distid:1234567812345678"]
                               + list(args), capture_output=True, text=True)
            return v.returncode == 0 and ": OK" in v.stdout
        check(verify("-CAfile", f"{d}/root.pem", f"{d}/issuing.pem")
              and verify("-partial_chain", "-CAfile", f"{d}/issuing.pem", f"{d}/leaf.pem"),
              "openssl verify accepts the renewed certificate and its chain")
        end = subprocess.run(["openssl", "x509", "-noout", "-enddate", "-in", f"{d}/leaf.pem"],
                             capture_output=True, text=True).stdout
    import datetime
    new_end = datetime.datetime.strptime(end.strip().split("=", 1)[1], "%b %d %H:%M:%S %Y %Z")
    old_end = datetime.datetime.strptime(old_not_after, "%Y-%m-%dT%H:%M:%SZ")
    check(new_end == old_end.replace(year=old_end.year + 1),
          f"notAfter is exactly one year after the old one ({old_not_after} → {new_end})")
    status, _, _ = bob.call("GET", f"/api/platform/orders/{no}/certificate")
    check(status == 404, "another subscriber cannot download it")

    # ---- 证书检测 -----------------------------------------------------------------------
    status, r = anon.json("POST", "/api/platform/check", raw=pem)
    check(status == 200 and r["status"] == "good" and r["issued_here"] and r["days_left"] > 360,
          "证书检测: the renewed certificate is good")
    status, r = anon.json("POST", "/api/platform/check", raw=b"garbage")
    check(status == 400, "证书检测: garbage refused")

    # ---- a new certificate: offline payment, rejection, resubmission -------------------------
    def csr(cn):
        key = subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                              "ec_paramgen_curve:P-256"], capture_output=True, check=True).stdout
        return subprocess.run(["openssl", "req", "-new", "-utf8", "-key", "/dev/stdin", "-subj",
                               f"/CN={cn}"], input=key, capture_output=True,
                              check=True).stdout.decode()

    bob_form = {
        "org_name": "另一家机构", "legal_representative": "赵六",
        "credential_type": "business_licence", "credential_number": "91110000MA0000000H",
        "user_identifier": "lilei", "department": "办公室", "user_name": "李雷",
        "phone": "13700137000", "id_card": "110101199003074477",
        "contact_address": "北京市东城区", "csr_pem": "not a csr",
    }
    status, r = bob.json("POST", "/api/platform/orders",
                         {"type": "new", "agree": True, "form": bob_form, "idempotency_key": "n1"})
    check(status == 400 and "csr_pem" in r["fields"], "new order: a malformed CSR is refused")
    bob_form["csr_pem"] = csr("a name the RA overrides")
    status, r = bob.json("POST", "/api/platform/orders",
                         {"type": "new", "agree": True, "form": bob_form, "idempotency_key": "n1"})
    check(status == 201 and r["order"]["type"] == "new", "证书申请 order created")
    nno = r["order"]["order_no"]
    bob.json("POST", f"/api/platform/orders/{nno}/printed")
    for kind in ("application_form", "business_licence", "id_copy"):
        upload(bob, nno, kind, PDF, kind + ".pdf")
    status, r = bob.json("POST", f"/api/platform/orders/{nno}/submit")
    check(r["order"]["state"] == "awaiting_payment", "new order waits for payment")
    status, r = upload(bob, nno, "payment_voucher", JPEG, "转账凭证.jpg")
    check(status == 200, "payment voucher uploaded while awaiting payment")
    status, r = bob.json("POST", f"/api/platform/orders/{nno}/payment", {"method": "offline"})
    check(status == 200 and r["order"]["state"] == "in_review"
          and r["order"]["payment"]["state"] == "awaiting_confirmation",
          "offline payment: in review, the cashier confirms later")
    gz("order", "reject", nno, "--reason", "missing_materials", "--comment", "营业执照未盖章")
    status, r = bob.json("GET", f"/api/platform/orders/{nno}")
    o = r["order"]
    check(o["state"] == "rejected" and o["review"]["reason"] == "missing_materials"
          and o["review"]["comment"] == "营业执照未盖章" and "upload" in o["actions"],
          "rejected with the reason and comment the subscriber sees")
    status, r = upload(bob, nno, "business_licence", PNG, "营业执照-盖章.png")
    status, r = bob.json("POST", f"/api/platform/orders/{nno}/submit")
    check(status == 200 and r["order"]["state"] == "in_review",
          "re-uploaded and resubmitted: back in review without paying again")
    gz("order", "confirm-payment", nno)
    gz("order", "approve", nno)
    status, r = bob.json("GET", f"/api/platform/orders/{nno}")
    check(r["order"]["state"] == "ready" and r["order"]["payment"]["state"] == "paid",
          "cashier confirmed, reviewer approved: the new certificate is ready")
    status, _, pem2 = bob.call("GET", f"/api/platform/orders/{nno}/certificate")
    subj = subprocess.run(["openssl", "x509", "-noout", "-subject", "-nameopt", "utf8"],
                          input=pem2, capture_output=True).stdout.decode()
    check("李雷" in subj and "另一家机构" in subj and "overrides" not in subj,
          f"the subject comes from the reviewed form, not the CSR ({subj.strip()})")

    # A draft can be cancelled; a cancelled order takes no more changes.
    status, r = bob.json("POST", "/api/platform/orders",
                         {"type": "new", "agree": True,
                          "form": dict(bob_form, csr_pem=csr("x")), "idempotency_key": "n2"})
    cno = r["order"]["order_no"]
    status, r = bob.json("POST", f"/api/platform/orders/{cno}/cancel")
    check(status == 200 and r["order"]["state"] == "cancelled", "a draft is cancelled")
    status, r = bob.json("POST", f"/api/platform/orders/{cno}/printed")
    status2, r2 = upload(bob, cno, "id_copy", PDF, "x.pdf")
    check(status2 == 409, "a cancelled order takes no uploads")

    # ---- 批量申请上传 ---------------------------------------------------------------------
    header = "用户标识*,用户名*,地址/部门*,联系电话*,身份证号码*,电子邮箱,联系地址*,证书介质,证书请求*"
    rows = [header,
            f'b1,王一,财务部,13700137001,110101199003074477,,北京,usbkey,"{csr("b1")}"',
            'b2,王二,财务部,12345,110101199003074478,,北京,usbkey,"x"',
            f'b3,王三,财务部,13700137003,110101199003074477,wang3@example.com,北京,shield,'
            f'"{csr("b3")}"']
    body = ("\r\n".join(rows)).encode()
    status, r = bob.json("POST", "/api/platform/batch", raw=body)
    bad_row = [x for x in r.get("rows", []) if not x["ok"]]
    check(status == 200 and r["created"] == 2 and len(bad_row) == 1 and bad_row[0]["row"] == 3
          and {"phone", "id_card", "csr_pem"} <= set(bad_row[0]["errors"]),
          "batch CSV: two orders, and row 3's errors by field")
    status, r = bob.json("POST", "/api/platform/batch", raw=body)
    status, listed = bob.json("GET", "/api/platform/orders?type=new&limit=100")
    check(sum(1 for o in listed["orders"] if o["state"] == "draft") == 2,
          "the same file again creates nothing new")
    status, r = bob.json("POST", "/api/platform/batch", raw=b"\x00\x01binary")
    check(status == 400, "a binary file is refused")
    # The same rows as an XLSX (inline strings), built here with zipfile.
    import io
    import zipfile
    from xml.sax.saxutils import escape

    def xlsx(table):
        def cell(ref, text):
            return f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'
        sheet_rows = "".join(
            f'<row r="{i + 1}">' + "".join(cell(f"{chr(65 + j)}{i + 1}", v)
                                            for j, v in enumerate(row)) + "</row>"
            for i, row in enumerate(table))
        ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
        rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("[Content_Types].xml",
                       '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                       '<Default Extension="xml" ContentType="application/xml"/></Types>')
            z.writestr("_rels/.rels", f'<Relationships xmlns="http://schemas.openxmlformats.org/'
                       f'package/2006/relationships"><Relationship Id="r1" Type="{rel}/'
                       f'officeDocument" Target="xl/workbook.xml"/></Relationships>')
            z.writestr("xl/workbook.xml", f'<workbook {ns} xmlns:r="{rel}"><sheets><sheet '
                       f'name="用户" sheetId="1" r:id="rId1"/></sheets></workbook>')
            z.writestr("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="http://schemas.'
                       f'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
                       f'Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
            z.writestr("xl/worksheets/sheet1.xml",
                       f"<worksheet {ns}><sheetData>{sheet_rows}</sheetData></worksheet>")
        return buf.getvalue()

    table = [header.split(","),
             ["x1", "赵一", "人事部", "13700137011", "110101199003074477", "", "上海", "usbkey",
              csr("x1")]]
    status, r = bob.json("POST", "/api/platform/batch", raw=xlsx(table))
    check(status == 200 and r["created"] == 1, "batch XLSX: one order")

    # ---- cancel and logout -----------------------------------------------------------------
    issued = bob.json("GET", f"/api/platform/orders/{nno}")[1]["order"]["issued_certificate_serial"]
    status, r = bob.json("GET", "/api/platform/me")
    check(status == 200 and [c["serial"] for c in r["certificates"]] == [issued],
          "我的信息 lists the new certificate as the subscriber's")
    status, r = alice.json("POST", "/api/platform/logout")
    check(status == 200, "logout")
    status, r = alice.json("GET", "/api/platform/me")
    check(status == 401, "logged out: 我的信息 needs a login again")

    with open("secrets.txt", "w") as f:
        f.write("\n".join(SECRETS) + "\n")
    print(f"platform API: {checks} checks passed")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"FAIL: {e}", file=sys.stderr)
        sys.exit(1)
