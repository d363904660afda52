#!/usr/bin/python3
"""Crash safety of `gzca serve` (durability contract of src/ca/authority.h).

Usage: crash_test.py GZCA_BINARY sqlite|postgres   (PostgreSQL: GZCA_TEST_PG_URL must be set)

Round 1: client threads POST /api/v1/certificates over HTTPS in a loop and keep every
certificate they actually receive (201 + PEM); after a few seconds the server gets SIGKILL while
requests are in flight; it is restarted on the same data directory and database (RecoverPending
runs) and the invariants below are checked. Round 2 does the same with several kills in short
succession (one of them during start-up) and checks again, over everything received in both.

Invariants (a violation fails the test):
  - every certificate a client received is in the database as 'issued' with the same DER,
    also as `gzca cert list` / `gzca cert show` report it ('valid', same PEM);
  - no row is left 'pending' after a restart; every row is 'issued' or 'aborted'; an aborted
    row holds no DER, an issued row's DER carries its serial;
  - OCSP through the restarted server (POST /ocsp, SHA-1 CertID, response signature checked
    with the signer certificate it carries, and that certificate checked against the issuing
    CA) answers good for every received certificate (a sample of at most 200) and never good
    for an aborted serial (all of them; CertID built from the issuing CA and the serial).
Zero aborted rows is reported, not failed: whether a kill lands between the 'pending' and the
'issued' commit is luck.

Only Debian's python3 standard library and python3-cryptography are used. Every gzca process
is started under `setpriv --pdeathsig KILL`, so none outlives this script even if it is killed.
"""

import datetime
import hashlib
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CLIENT_THREADS = 8
ROUND1_MIN_SECONDS = 2.5      # load before the kill of round 1 ...
ROUND1_MIN_RECEIVED = 150     # ... and at least this many certificates received ...
ROUND1_MAX_SECONDS = 10.0     # ... unless the machine is that slow
ROUND2_KILLS_UNDER_LOAD = 4
ROUND2_EXTRA_KILLS = 6        # more kills while no row is aborted yet
OCSP_SAMPLE = 200             # received certificates asked about over OCSP (all aborted ones)
CLI_SAMPLE = 25               # received certificates compared through `gzca cert show --pem`
START_TIMEOUT = 60.0
ISSUER = "p256"
PASSPHRASE = "crash test passphrase"

T0 = time.monotonic()


class Fatal(Exception):
    """A step the test cannot go on without failed."""


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.n = 0

    def check(self, cond, what, detail=""):
        self.n += 1
        if cond:
            self.passed += 1
            print(f"ok {self.n} - {what}", flush=True)
        else:
            self.failed += 1
            print(f"not ok {self.n} - {what}" + (f": {detail}" if detail else ""), flush=True)
        return cond

    def note(self, text):
        print(f"# [{time.monotonic() - T0:6.1f}s] {text}", flush=True)


R = Report()


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)


# --------------------------------------------------------------------------------------------
# Environment: work directory, database, configuration


class Env:
    def __init__(self, gzca, kind):
        self.gzca = os.path.abspath(gzca)
        self.kind = kind
        self.work = tempfile.mkdtemp(prefix="gzca_crash.", dir="/tmp")
        self.data = os.path.join(self.work, "var")
        os.mkdir(self.data)
        self.config = os.path.join(self.work, "gzca.toml")
        self.schema = None
        self.db_url = None
        self.env = dict(os.environ, GZCA_CA_PASSPHRASE=PASSPHRASE)
        try:
            self._write_config(kind)
        except BaseException:
            self.cleanup()
            raise

    def _write_config(self, kind):
        with open(self.config, "w") as f:
            if kind == "postgres":
                base = os.environ.get("GZCA_TEST_PG_URL", "")
                if not base:
                    raise Fatal("GZCA_TEST_PG_URL not set (run via scripts/run-tests.sh)")
                self.schema = f"crash_{os.getpid()}_{random.randrange(1 << 30)}"
                r = run(["psql", "-q", "-v", "ON_ERROR_STOP=1", base, "-c",
                         f"CREATE SCHEMA {self.schema}"])
                if r.returncode != 0:
                    self.schema = None
                    raise Fatal(f"cannot create schema: {r.stderr.strip()}")
                sep = "&" if "?" in base else "?"
                self.db_url = f"{base}{sep}options=-csearch_path%3D{self.schema}"
                f.write(f'[database]\nurl = "{self.db_url}"\n')
            f.write('[ca]\nbase_url = "http://localhost:8080"\n')

    def gz(self, *args, check=True):
        r = run([self.gzca, "--data-dir", self.data, "--config", self.config, *args],
                env=self.env)
        if check and r.returncode != 0:
            raise Fatal(f"gzca {' '.join(args)} failed ({r.returncode}): {r.stderr.strip()}")
        return r

    def rows(self):
        """Every certificates row as (issuer name, serial text, status, DER or None)."""
        query = ("SELECT i.name, c.serial, c.status, {der} FROM certificates c "
                 "JOIN issuers i ON i.id = c.issuer_id ORDER BY c.id")
        if self.kind == "sqlite":
            path = os.path.join(self.data, "gzca.db")
            con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
            try:
                return [(n, s, st, bytes(d) if d is not None else None)
                        for n, s, st, d in con.execute(query.format(der="c.der"))]
            finally:
                con.close()
        r = run(["psql", "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", self.db_url,
                 "-c", query.format(der="coalesce(encode(c.der, 'hex'), '-')")])
        if r.returncode != 0:
            raise Fatal(f"psql failed: {r.stderr.strip()}")
        out = []
        for line in r.stdout.splitlines():
            n, s, st, d = line.split("\t")
            out.append((n, s, st, None if d == "-" else bytes.fromhex(d)))
        return out

    def cleanup(self):
        if self.schema:
            run(["psql", "-q", os.environ["GZCA_TEST_PG_URL"], "-c",
                 f"DROP SCHEMA {self.schema} CASCADE"])
        shutil.rmtree(self.work, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# The server


class Server:
    def __init__(self, env):
        self.env = env
        self.proc = None
        self.starts = 0
        self.ports_file = os.path.join(env.work, "ports")
        self.http_port = self.https_port = None
        self.log_path = None
        self.recovered = []  # "marked N ... as aborted" per start

    def spawn(self):
        assert self.proc is None
        if os.path.exists(self.ports_file):
            os.unlink(self.ports_file)
        self.starts += 1
        self.log_path = os.path.join(self.env.work, f"serve-{self.starts}.log")
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                ["setpriv", "--pdeathsig", "KILL", "--", self.env.gzca, "--data-dir",
                 self.env.data, "--config", self.env.config, "serve", "--http", "127.0.0.1:0",
                 "--https", "127.0.0.1:0", "--ports-file", self.ports_file],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=self.env.env)

    def wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Fatal(f"gzca serve exited with {self.proc.returncode} during start-up:\n"
                            + self.log_tail())
            try:
                with open(self.ports_file) as f:
                    parts = f.read().split()
                if len(parts) == 2:
                    self.http_port, self.https_port = int(parts[0]), int(parts[1])
                    self._note_recovery()
                    return
            except FileNotFoundError:
                pass
            time.sleep(0.02)
        raise Fatal("gzca serve did not write its ports file in time:\n" + self.log_tail())

    def start(self):
        self.spawn()
        self.wait_ready()

    def _note_recovery(self):
        with open(self.log_path, errors="replace") as f:
            m = re.search(r"marked (\d+) certificate requests left pending", f.read())
        self.recovered.append(int(m.group(1)) if m else 0)

    def kill(self):
        """SIGKILL, no grace: what a power cut or the OOM killer does."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def log_tail(self, n=30):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return "(no log)"


# --------------------------------------------------------------------------------------------
# Issuance load


class LocalhostHTTPS(http.client.HTTPSConnection):
    """Connects to 127.0.0.1 but checks the server certificate for 'localhost'."""

    def connect(self):
        sock = socket.create_connection(("127.0.0.1", self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname="localhost")


def make_csr(i):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "gzca crash test"),
        x509.NameAttribute(NameOID.COMMON_NAME, f"crash client {i}"),
    ])
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.PEM).decode()


class Load:
    """CLIENT_THREADS threads issuing certificates until stopped."""

    def __init__(self, port, tls, token, csrs):
        self.port, self.tls, self.token, self.csrs = port, tls, token, csrs
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.received = []       # (serial int, DER) of every certificate a client received
        self.statuses = {}       # HTTP status -> count
        self.conn_errors = 0
        self.bad_bodies = []
        self.threads = []

    def start(self):
        for i in range(CLIENT_THREADS):
            t = threading.Thread(target=self._client, args=(i,), daemon=True)
            t.start()
            self.threads.append(t)

    def count(self):
        with self.lock:
            return len(self.received)

    def stop(self):
        self.stop_event.set()
        for t in self.threads:
            t.join(timeout=30)
        stuck = [t for t in self.threads if t.is_alive()]
        if stuck:
            raise Fatal(f"{len(stuck)} client threads did not finish")

    def _client(self, i):
        body = json.dumps({"csr": self.csrs[i], "issuer": ISSUER, "profile": "sign"})
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"}
        conn = None
        while not self.stop_event.is_set():
            try:
                if conn is None:
                    conn = LocalhostHTTPS("127.0.0.1", self.port, context=self.tls, timeout=20)
                conn.request("POST", "/api/v1/certificates", body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
            except (OSError, http.client.HTTPException, ssl.SSLError):
                # Connection refused / reset / cut mid-response: nothing was received.
                with self.lock:
                    self.conn_errors += 1
                if conn is not None:
                    conn.close()
                conn = None
                self.stop_event.wait(0.01)
                continue
            with self.lock:
                self.statuses[resp.status] = self.statuses.get(resp.status, 0) + 1
            if resp.status != 201:
                continue
            try:
                cert = x509.load_pem_x509_certificate(json.loads(data)["certificate"].encode())
            except Exception as e:  # a 201 without a usable certificate is a bug itself
                with self.lock:
                    self.bad_bodies.append(f"{e!r}: {data[:200]!r}")
                continue
            with self.lock:
                self.received.append((cert.serial_number,
                                      cert.public_bytes(serialization.Encoding.DER)))
        if conn is not None:
            conn.close()


# --------------------------------------------------------------------------------------------
# OCSP


class Ocsp:
    def __init__(self, issuing):
        self.issuing = issuing
        self.name_hash = hashlib.sha1(issuing.subject.public_bytes()).digest()
        self.key_hash = hashlib.sha1(issuing.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)).digest()
        self.dummy_key = ec.generate_private_key(ec.SECP256R1())
        self.conn = None

    def request_for_serial(self, serial):
        """A SHA-1 CertID from the issuing CA and a serial alone (no certificate exists):
        OpenSSL's OCSP_cert_to_id takes only the serial from the certificate it is given, so a
        throwaway certificate carrying that serial stands in (python3-cryptography 38 has no
        add_certificate_by_hash)."""
        now = datetime.datetime.utcnow()
        stand_in = (x509.CertificateBuilder()
                    .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")]))
                    .issuer_name(self.issuing.subject)
                    .public_key(self.dummy_key.public_key())
                    .serial_number(serial)
                    .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
                    .sign(self.dummy_key, hashes.SHA256()))
        return self.request_for_cert(stand_in)

    def request_for_cert(self, cert):
        der = (ocsp.OCSPRequestBuilder().add_certificate(cert, self.issuing, hashes.SHA1())
               .build().public_bytes(serialization.Encoding.DER))
        req = ocsp.load_der_ocsp_request(der)
        assert req.serial_number == cert.serial_number
        assert req.issuer_name_hash == self.name_hash and req.issuer_key_hash == self.key_hash
        return der

    def ask(self, port, der_request, serial):
        """Returns the certificate status name, or raises ValueError naming what is wrong."""
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
                self.conn.request("POST", "/ocsp", body=der_request,
                                  headers={"Content-Type": "application/ocsp-request"})
                resp = self.conn.getresponse()
                body = resp.read()
                break
            except (OSError, http.client.HTTPException):
                self.conn = None
                if attempt:
                    raise
        if resp.status != 200:
            raise ValueError(f"HTTP {resp.status}")
        r = ocsp.load_der_ocsp_response(body)
        if r.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
            raise ValueError(f"response status {r.response_status.name}")
        if r.serial_number != serial:
            raise ValueError(f"answer for serial {r.serial_number:x}, asked {serial:x}")
        if r.issuer_name_hash != self.name_hash or r.issuer_key_hash != self.key_hash:
            raise ValueError("answer names another issuer")
        signer = r.certificates[0] if r.certificates else self.issuing
        signer.public_key().verify(r.signature, r.tbs_response_bytes,
                                   ec.ECDSA(r.signature_hash_algorithm))
        signer_key_hash = hashlib.sha1(signer.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)).digest()
        if r.responder_key_hash is not None:
            if r.responder_key_hash != signer_key_hash:
                raise ValueError("responderID byKey does not match the signer certificate")
        elif r.responder_name != signer.subject:
            raise ValueError("responderID byName does not match the signer certificate")
        if signer is not self.issuing:
            if signer.issuer != self.issuing.subject:
                raise ValueError("OCSP signer not issued by the issuing CA")
            self.issuing.public_key().verify(signer.signature, signer.tbs_certificate_bytes,
                                             ec.ECDSA(signer.signature_hash_algorithm))
            eku = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
            if ExtendedKeyUsageOID.OCSP_SIGNING not in eku:
                raise ValueError("OCSP signer certificate lacks EKU OCSPSigning")
        now = datetime.datetime.utcnow()
        slack = datetime.timedelta(minutes=5)
        if not (r.this_update - slack <= now and (r.next_update is None
                                                  or now <= r.next_update + slack)):
            raise ValueError(f"stale response: {r.this_update} .. {r.next_update}")
        return r.certificate_status.name.lower()

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


# --------------------------------------------------------------------------------------------
# The checks


def check_invariants(label, env, server, issuing, received):
    """Checks the contract after a restart, over every certificate received so far."""
    R.note(f"{label}: checking {len(received)} received certificates against the database")
    rows = env.rows()
    by_serial = {}
    for name, serial, status, der in rows:
        by_serial.setdefault(int(serial, 16), []).append((name, serial, status, der))
    statuses = {}
    for _, _, status, _ in rows:
        statuses[status] = statuses.get(status, 0) + 1
    aborted = sorted(int(s, 16) for n, s, st, _ in rows if st == "aborted")
    R.note(f"{label}: database rows by status: {statuses}")

    pending = [s for _, s, st, _ in rows if st == "pending"]
    R.check(not pending, f"{label}: no row left 'pending' after restart",
            f"{len(pending)} pending, e.g. {pending[:3]}")
    odd = [(s, st) for _, s, st, _ in rows if st not in ("issued", "aborted")]
    R.check(not odd, f"{label}: every row is 'issued' or 'aborted'", f"{odd[:5]}")
    aborted_with_der = [s for _, s, st, d in rows if st == "aborted" and d]
    R.check(not aborted_with_der, f"{label}: no aborted row holds a DER",
            f"{aborted_with_der[:3]}")
    bad_der = []
    for name, serial, status, der in rows:
        if status != "issued":
            continue
        try:
            if not der or x509.load_der_x509_certificate(der).serial_number != int(serial, 16):
                bad_der.append(serial)
        except ValueError:
            bad_der.append(serial)
    R.check(not bad_der, f"{label}: every issued row holds a DER carrying its serial",
            f"{bad_der[:3]}")

    # Received certificates: unique, signed by the issuing CA, in the database with that DER.
    serials = [s for s, _ in received]
    dupes = len(serials) - len(set(serials))
    R.check(dupes == 0, f"{label}: no serial was delivered twice", f"{dupes} duplicates")
    unsigned = []
    for s, der in received:
        c = x509.load_der_x509_certificate(der)
        try:
            issuing.public_key().verify(c.signature, c.tbs_certificate_bytes,
                                        ec.ECDSA(c.signature_hash_algorithm))
        except Exception:
            unsigned.append(f"{s:x}")
    R.check(not unsigned, f"{label}: every received certificate verifies under {ISSUER}-issuing",
            f"{unsigned[:3]}")
    missing, wrong_status, wrong_der = [], [], []
    for s, der in received:
        matches = [m for m in by_serial.get(s, []) if m[0] == f"{ISSUER}-issuing"]
        if not matches:
            missing.append(f"{s:x}")
        elif matches[0][2] != "issued":
            wrong_status.append(f"{s:x}={matches[0][2]}")
        elif matches[0][3] != der:
            wrong_der.append(f"{s:x}")
    R.check(not missing, f"{label}: all {len(received)} received certificates are in the database",
            f"{len(missing)} missing, e.g. {missing[:3]}")
    R.check(not wrong_status, f"{label}: every received certificate is 'issued' in the database",
            f"{len(wrong_status)} wrong, e.g. {wrong_status[:3]}")
    R.check(not wrong_der, f"{label}: the database holds the very DER each client received",
            f"{len(wrong_der)} differ, e.g. {wrong_der[:3]}")
    issued_p256 = sum(1 for n, _, st, _ in rows if st == "issued" and n == f"{ISSUER}-issuing")
    R.note(f"{label}: {issued_p256} issued by {ISSUER}-issuing (incl. the TLS certificate and "
           f"ones committed but never delivered), {len(received)} received, "
           f"{len(aborted)} aborted")

    # The same through the CLI.
    listed = json.loads(env.gz("--json", "cert", "list", "--limit", "100000").stdout)
    cli_status = {int(c["serial"], 16): c["status"] for c in listed}
    cli_pending = sum(1 for st in cli_status.values() if st == "pending")
    R.check(len(listed) == len(rows) and not cli_pending,
            f"{label}: `gzca cert list` shows all {len(rows)} rows, none pending",
            f"{len(listed)} listed, {cli_pending} pending")
    cli_bad = [f"{s:x}={cli_status.get(s)}" for s in serials if cli_status.get(s) != "valid"]
    R.check(not cli_bad, f"{label}: `gzca cert list` shows every received certificate 'valid'",
            f"{cli_bad[:3]}")
    cli_aborted = sorted(s for s, st in cli_status.items() if st == "aborted")
    R.check(cli_aborted == aborted, f"{label}: `gzca cert list` shows the {len(aborted)} aborted "
            "rows as 'aborted'", f"{len(cli_aborted)} listed as aborted")
    text_of = {int(serial, 16): serial for _, serial, _, _ in rows}
    sample = random.sample(received, min(CLI_SAMPLE, len(received)))
    show_bad = []
    for s, der in sample:
        r = env.gz("cert", "show", "--serial", text_of.get(s, f"{s:x}"), "--pem", check=False)
        try:
            ok = r.returncode == 0 and x509.load_pem_x509_certificate(
                r.stdout.encode()).public_bytes(serialization.Encoding.DER) == der
        except ValueError:
            ok = False
        if not ok:
            show_bad.append(f"{s:x}: {r.stderr.strip()[:100]}")
    R.check(not show_bad, f"{label}: `gzca cert show --pem` returns the received PEM "
            f"({len(sample)} sampled)", f"{show_bad[:3]}")
    show_aborted_bad = []
    for s in aborted[:CLI_SAMPLE]:
        r = env.gz("--json", "cert", "show", "--serial", text_of[s], check=False)
        st = json.loads(r.stdout).get("status") if r.returncode == 0 else r.stderr.strip()
        if st != "aborted":
            show_aborted_bad.append(f"{s:x}={st}")
    R.check(not show_aborted_bad, f"{label}: `gzca cert show` reports aborted serials as aborted "
            f"({min(len(aborted), CLI_SAMPLE)} asked)", f"{show_aborted_bad[:3]}")

    # OCSP through the restarted server.
    responder = Ocsp(issuing)
    try:
        sample = random.sample(received, min(OCSP_SAMPLE, len(received)))
        not_good, errors = [], []
        for s, der in sample:
            try:
                st = responder.ask(server.http_port,
                                   responder.request_for_cert(x509.load_der_x509_certificate(der)),
                                   s)
                if st != "good":
                    not_good.append(f"{s:x}={st}")
            except Exception as e:
                errors.append(f"{s:x}: {e!r}")
        R.check(not errors, f"{label}: OCSP responses for received certificates are signed by a "
                "signer certified by the issuing CA and name the asked serial", f"{errors[:3]}")
        R.check(not not_good, f"{label}: OCSP answers good for {len(sample)} received "
                "certificates", f"{len(not_good)} not good, e.g. {not_good[:3]}")
        # Control: the serial-only CertID used for aborted serials does find a certificate
        # (else "never good" below would hold vacuously).
        if received:
            s = received[0][0]
            try:
                st = responder.ask(server.http_port, responder.request_for_serial(s), s)
            except Exception as e:
                st = repr(e)
            R.check(st == "good", f"{label}: control: a CertID built from the issuing CA and "
                    "the serial alone answers good for a received certificate", st)
        answers, errors = {}, []
        for s in aborted:
            try:
                st = responder.ask(server.http_port, responder.request_for_serial(s), s)
                answers[st] = answers.get(st, 0) + 1
            except Exception as e:
                errors.append(f"{s:x}: {e!r}")
        R.check(not errors, f"{label}: OCSP responses for aborted serials are well signed",
                f"{errors[:3]}")
        R.check(not answers.get("good"), f"{label}: OCSP never answers good for any of the "
                f"{len(aborted)} aborted serials (answers: {answers or 'none asked'})",
                f"{answers.get('good')} good")
    finally:
        responder.close()
    return len(aborted)


# --------------------------------------------------------------------------------------------


def load_then_kill(server, load_args, received, min_seconds, min_received, max_seconds):
    load = Load(server.https_port, *load_args)
    t = time.monotonic()
    load.start()
    while True:
        time.sleep(0.05)
        elapsed = time.monotonic() - t
        if elapsed >= max_seconds or (elapsed >= min_seconds and load.count() >= min_received):
            break
    with load.lock:
        in_flight_note = f"{len(load.received)} received so far"
    server.kill()
    load.stop()
    received.extend(load.received)
    errors_2xx = {k: v for k, v in load.statuses.items() if k != 201}
    R.note(f"SIGKILL after {elapsed:.2f}s of load ({in_flight_note}); this load: "
           f"{len(load.received)} received, HTTP statuses {load.statuses}, "
           f"{load.conn_errors} connection errors")
    R.check(not load.bad_bodies, "every 201 carried a parseable certificate",
            f"{load.bad_bodies[:2]}")
    if errors_2xx:
        R.note(f"non-201 answers during the load: {errors_2xx}")
    return load


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in ("sqlite", "postgres"):
        print("usage: crash_test.py GZCA_BINARY sqlite|postgres", file=sys.stderr)
        return 2
    gzca, kind = sys.argv[1], sys.argv[2]
    seed = int(os.environ.get("GZCA_CRASH_SEED", random.randrange(1 << 32)))
    random.seed(seed)
    print(f"# crash test on {kind}, seed {seed} (GZCA_CRASH_SEED to repeat)", flush=True)

    # SIGTERM (ctest timeout) or Ctrl-C: reported as a failure, cleaned up by the finally below.
    def on_signal(signum, _frame):
        raise Fatal(f"interrupted by signal {signum}")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    env = server = None
    try:
        env = Env(gzca, kind)
        server = Server(env)
        server.start()
        R.note(f"server up: https {server.https_port}, http {server.http_port}")
        token = json.loads(env.gz("--json", "apikey", "create", "--name", "crash", "--scopes",
                                  "all").stdout)["token"]
        root_pem = env.gz("ca", "cert", f"{ISSUER}-root").stdout
        issuing = x509.load_pem_x509_certificate(
            env.gz("ca", "cert", f"{ISSUER}-issuing").stdout.encode())
        tls = ssl.create_default_context(cadata=root_pem)
        csrs = [make_csr(i) for i in range(CLIENT_THREADS)]
        load_args = (tls, token, csrs)
        received = []

        # Round 1: one kill after a few seconds of load.
        load_then_kill(server, load_args, received, ROUND1_MIN_SECONDS, ROUND1_MIN_RECEIVED,
                       ROUND1_MAX_SECONDS)
        R.check(len(received) >= 20, f"round 1: the load got going ({len(received)} "
                "certificates received before the kill)")
        server.start()
        R.note(f"restarted; recovery marked {server.recovered[-1]} pending rows aborted")
        aborted1 = check_invariants("round 1", env, server, issuing, received)
        received1 = len(received)

        # Round 2: several kills in short succession, one of them while the server starts.
        for k in range(ROUND2_KILLS_UNDER_LOAD):
            load_then_kill(server, load_args, received, random.uniform(0.3, 1.2), 0, 1.2)
            if k == 1:
                server.spawn()
                time.sleep(random.uniform(0.02, 0.3))
                server.kill()
                server._note_recovery()  # recovery may have run before the kill
                R.note("SIGKILL during start-up (opening the database / recovery); its log "
                       f"shows {server.recovered[-1]} pending rows marked aborted")
            server.start()
            R.note(f"restarted; recovery marked {server.recovered[-1]} pending rows aborted")
        # Until at least one kill has landed between the two commits (bounded; luck decides).
        extra = 0
        while extra < ROUND2_EXTRA_KILLS and not any(r[2] == "aborted" for r in env.rows()):
            extra += 1
            load_then_kill(server, load_args, received, random.uniform(0.3, 1.0), 0, 1.0)
            server.start()
            R.note(f"no aborted row yet: extra kill {extra}; recovery marked "
                   f"{server.recovered[-1]} pending rows aborted")
        aborted2 = check_invariants("round 2", env, server, issuing, received)

        R.note(f"summary on {kind}: round 1: {received1} received, {aborted1} aborted; "
               f"after {ROUND2_KILLS_UNDER_LOAD + 1 + extra} more kills: {len(received)} "
               f"received, {aborted2} aborted; recovery counts per start {server.recovered}")
        if aborted2 == 0:
            R.note("no kill landed between a 'pending' and an 'issued' commit this time: the "
                   "aborted-serial checks were vacuous (not a failure)")
        server.stop()
    except Fatal as e:
        R.check(False, "test ran to completion", str(e))
    except Exception as e:
        import traceback
        traceback.print_exc()
        R.check(False, "test ran to completion", repr(e))
    finally:
        if R.failed and server is not None and server.log_path:
            print("# last server log:\n" + "".join(
                f"#   {line}\n" for line in server.log_tail().splitlines()), flush=True)
        if server is not None:
            try:
                server.stop()
            except Exception:
                pass
        if env is not None:
            env.cleanup()
    R.note(f"finished in {time.monotonic() - T0:.1f}s")
    print(f"{R.passed} passed, {R.failed} failed", flush=True)
    return 1 if R.failed else 0


if __name__ == "__main__":
    sys.exit(main())
