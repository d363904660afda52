#!/usr/bin/python3
"""Prepares the platform benchmark: logs the demo subscriber in through the real SMS flow,
files BENCH_ORDERS orders through the batch upload (CSV with real CSRs), then copies the login
into N sessions with their own random cookies (written to <work>/cookies.txt).

Usage: platform_setup.py GZCA DATA_DIR BASE_URL SESSIONS ORDERS WORK_DIR
"""
import hashlib
import json
import os
import re
import secrets
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "platform"))
gzca, data, base, sessions, orders, work = sys.argv[1:7]
os.environ["GZCA_BASE_URL"] = base
os.environ["GZCA_BIN"] = gzca
os.environ["GZCA_DATA_DIR"] = data
os.environ["GZCA_CONFIG"] = os.path.join(data, "gzca.toml")
import platform_api_test as t  # noqa: E402  (its Client and helpers)

client = t.Client()
client.login("13800138000")

# Batch: one new order per row, each with its own key and CSR.
rows = ["用户标识*,用户名*,地址/部门*,联系电话*,身份证号码*,电子邮箱,联系地址*,证书介质,证书请求*"]
for i in range(int(orders)):
    key = subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                          "ec_paramgen_curve:P-256"], capture_output=True, check=True).stdout
    csr = subprocess.run(["openssl", "req", "-new", "-key", "/dev/stdin", "-subj",
                          f"/CN=bench {i}"], input=key, capture_output=True, check=True).stdout
    rows.append(f'U{i:05d},用户{i},信息中心,13800138000,11010519491231002X,,北京市西城区,usbkey,'
                f'"{csr.decode().strip()}"')
status, r = client.json("POST", "/api/platform/batch", raw=("\r\n".join(rows)).encode())
assert status == 200 and r["created"] == int(orders), (status, r)
open(os.path.join(work, "orders"), "w").write(str(r["created"]))

# Copy the login into N sessions.
sid = [c.value for c in client.jar if c.name == "gzca_sid"][0]
db = sqlite3.connect(os.path.join(data, "gzca.db"))
row = db.execute("SELECT kind, principal_id, csrf_token, remote_address, created_at, "
                 "last_seen_at, expires_at FROM sessions WHERE id_sha256 = ?",
                 (hashlib.sha256(sid.encode()).hexdigest(),)).fetchone()
assert row, "the login's session row"
cookies = []
for _ in range(int(sessions)):
    cookie = secrets.token_hex(32)
    cookies.append(cookie)
    db.execute("INSERT INTO sessions (id_sha256, kind, principal_id, csrf_token, remote_address,"
               " created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
               (hashlib.sha256(cookie.encode()).hexdigest(), row[0], row[1],
                secrets.token_hex(32), row[3], row[4], int(time.time()), row[6]))
db.commit()
open(os.path.join(work, "cookies.txt"), "w").write("\n".join(cookies) + "\n")
# The original login, for the upload measurement.
json.dump({"cookie": sid, "csrf": client.csrf}, open(os.path.join(work, "login.json"), "w"))
print(json.dumps({"sessions": len(cookies), "orders": r["created"]}))
