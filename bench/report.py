#!/usr/bin/env python3
"""Turns bench/run.sh's results (KEY<TAB>VALUE lines) into one markdown table against the targets.

Usage: report.py RESULTS_FILE MARKDOWN_OUT

Prints the table to stdout and writes it, with the run's settings and notes, to MARKDOWN_OUT.
Rows whose measurement did not run (a part skipped, a peer missing) are left out.
"""

import datetime
import sys

# The targets of the issue.
ISSUE_RATE = 8000.0      # P-256 durable issuance, certificates/s, at least
ISSUE_P99_MS = 20.0      # its p99 latency, below
ISSUE_CPU_US = 150.0     # server CPU per certificate, at most
SM2_SHARE = 0.75         # SM2 issuance, share of the openssl sign+verify bound, at least
OCSP_CPU_US = 30.0       # server CPU per pre-signed OCSP response, at most
CRL_S = 2.0              # CRL with 100,000 entries, seconds, below
LOOKUP_P99_MS = 1.0      # status look-up p99 at 1,000,000 certificates, below
RSS_MB = 150.0           # gzca serve resident memory, below


def load(path):
    r = {}
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if "\t" in line:
            k, v = line.split("\t", 1)
            r[k] = v
    return r


class Table:
    HEAD = ["Test", "System", "Result", "p50", "p99", "CPU µs/op", "Target", "Ratio", "Notes"]

    def __init__(self):
        self.rows = []

    def add(self, *cells):
        cells = list(cells) + [""] * (len(self.HEAD) - len(cells))
        self.rows.append(["" if c is None else str(c) for c in cells])

    def markdown(self):
        widths = [max(len(r[i]) for r in self.rows + [self.HEAD]) for i in range(len(self.HEAD))]
        right = {2, 3, 4, 5, 7}

        def fmt(cells):
            out = []
            for i, c in enumerate(cells):
                out.append(c.rjust(widths[i]) if i in right else c.ljust(widths[i]))
            return "| " + " | ".join(out) + " |"

        sep = "|" + "|".join(("-" * (w + 1) + ":") if i in right else ("-" * (w + 2))
                             for i, w in enumerate(widths)) + "|"
        return "\n".join([fmt(self.HEAD), sep] + [fmt(r) for r in self.rows])


def num(r, key):
    v = r.get(key)
    if v is None:
        return None
    try:
        if "e" in v and not v.startswith("e"):
            base, exp = v.split("e", 1)
            return float(base) * 10 ** int(exp)
        return float(v)
    except ValueError:
        return None


def rate(v, unit="/s"):
    return "" if v is None else f"{v:,.0f}{unit}"


def ms(us):
    if us is None:
        return ""
    return f"{us / 1000:.2f} ms" if us < 10000 else f"{us / 1000:.1f} ms"


def cpu(v):
    return "" if v is None else f"{v:,.1f}" if v < 100 else f"{v:,.0f}"


def verdict(measured, target, kind):
    """Ratio measured/target and whether the target (kind ">=", ">", "<" or "<=") is met."""
    if measured is None or not target:
        return ""
    ratio = measured / target
    ok = {">=": ratio >= 1, ">": ratio > 1, "<": ratio < 1, "<=": ratio <= 1}[kind]
    return f"{ratio:.2f} {'ok' if ok else 'MISS'}"


def main():
    r = load(sys.argv[1])
    t = Table()
    secs = r.get("settings", "")

    def wrk_row(test, system, key, notes="", target="", ratio=""):
        if f"{key}.rps" not in r:
            return False
        errors = int(num(r, f"{key}.errors") or 0)
        extra = []
        if errors:
            extra.append(f"{errors} errors")
        if notes:
            extra.append(notes)
        t.add(test, system, rate(num(r, f"{key}.rps")), ms(num(r, f"{key}.p50_us")),
              ms(num(r, f"{key}.p99_us")), cpu(num(r, f"{key}.cpu_us")), target, ratio,
              "; ".join(extra))
        return True

    def issue_targets(key):
        rps, p99, c = num(r, f"{key}.rps"), num(r, f"{key}.p99_us"), num(r, f"{key}.cpu_us")
        t.add("", "  ↳ rate", rate(rps), "", "", "", f"≥ {ISSUE_RATE:,.0f}/s",
              verdict(rps, ISSUE_RATE, ">="))
        t.add("", "  ↳ p99", "", "", ms(p99), "", f"< {ISSUE_P99_MS:.0f} ms",
              verdict(p99 / 1000 if p99 is not None else None, ISSUE_P99_MS, "<"))
        t.add("", "  ↳ server CPU", "", "", "", cpu(c), f"≤ {ISSUE_CPU_US:.0f} µs",
              verdict(c, ISSUE_CPU_US, "<="))

    def stored_note(key):
        s, ok = num(r, f"{key}.stored"), num(r, f"{key}.ok")
        return f"{s:,.0f} rows stored for {ok:,.0f} 2xx" if s is not None and ok else ""

    # 1. P-256 issuance.
    test = "1 Issuance P-256, durable"
    if wrk_row(test, "gzca · SQLite (WAL, synchronous=FULL)", "issue.gzca_sqlite",
               stored_note("issue.gzca_sqlite")):
        issue_targets("issue.gzca_sqlite")
    pg_cpu = num(r, "issue.gzca_pg.extra_cpu_us")
    if wrk_row(test, "gzca · PostgreSQL (fsync on)", "issue.gzca_pg",
               "; ".join(x for x in [stored_note("issue.gzca_pg"),
                                     f"+{cpu(pg_cpu)} µs/op in PostgreSQL" if pg_cpu else ""] if x)):
        issue_targets("issue.gzca_pg")
    wrk_row(test, "cfssl serve · no certdb", "issue.cfssl_nodb", "not durable: nothing stored")
    wrk_row(test, "cfssl serve · SQLite certdb", "issue.cfssl_sqlite",
            "; ".join(x for x in [stored_note("issue.cfssl_sqlite"),
                                  f"journal_mode={r.get('issue.cfssl_sqlite.journal', '?')}"] if x))
    ps, pv = num(r, "speed.p256.sign"), num(r, "speed.p256.verify")
    if ps:
        t.add(test, f"openssl speed ecdsap256 -multi {r.get('machine.cores', '?')}",
              rate(ps), "", "", f"{1e6 * float(r.get('machine.cores', 1)) / ps:.1f}", "", "",
              f"sign only (verify {rate(pv)}): the physical ceiling")

    # 2. SM2.
    test = "2 Issuance SM2"
    ss, sv = num(r, "speed.sm2.sign"), num(r, "speed.sm2.verify")
    bound = 1 / (1 / ss + 1 / sv) if ss and sv else None
    if "sm2.gzca_sqlite.rps" in r:
        got = num(r, "sm2.gzca_sqlite.rps")
        share = f"{100 * got / bound:.0f} % of the bound" if bound else ""
        wrk_row(test, "gzca · SQLite, issuer sm2", "sm2.gzca_sqlite", share,
                f"≥ {SM2_SHARE * 100:.0f} % of bound" + (f" = {bound * SM2_SHARE:,.0f}/s" if bound else ""),
                verdict(got, bound * SM2_SHARE if bound else None, ">="))
    if bound:
        t.add(test, f"openssl speed sm2 -multi {r.get('machine.cores', '?')}", rate(bound), "", "",
              "", "", "", f"bound = 1/(1/sign + 1/verify); sign {rate(ss)}, verify {rate(sv)}")

    # 3. OCSP.
    test = "3 OCSP"
    peers = [num(r, f"{k}.rps") for k in ("ocsp.openssl_1", f"ocsp.openssl_{r.get('machine.cores')}",
                                           "ocsp.cfssl_cached")]
    best_peer = max([p for p in peers if p] or [0]) or None
    if wrk_row(test, "gzca · pre-signed (no nonce)", "ocsp.gzca_cached",
               f"{num(r, 'ocsp.gzca_cached.bytes') or 0:,.0f} B/response"):
        c = num(r, "ocsp.gzca_cached.cpu_us")
        t.add("", "  ↳ server CPU", "", "", "", cpu(c), f"≤ {OCSP_CPU_US:.0f} µs",
              verdict(c, OCSP_CPU_US, "<="))
        if best_peer:
            g = num(r, "ocsp.gzca_cached.rps")
            t.add("", "  ↳ vs best peer", rate(g), "", "", "", f"> {rate(best_peer)}",
                  verdict(g, best_peer, ">"))
    wrk_row(test, "gzca · with nonce (signed each time)", "ocsp.gzca_nonce")
    wrk_row(test, "openssl ocsp -port, 1 process", "ocsp.openssl_1",
            "signs every response; one request per connection (HTTP/1.0, no keep-alive)")
    wrk_row(test, "openssl ocsp -port, with nonce", "ocsp.openssl_nonce")
    cores = r.get("machine.cores")
    if cores and cores != "1":
        wrk_row(test, f"openssl ocsp -port -multi {cores}", f"ocsp.openssl_{cores}",
                "responder processes forked by -multi, CPU summed")
    if "ocsp.openssl.skipped" in r:
        t.add(test, "openssl ocsp -port", "skipped", "", "", "", "", "", r["ocsp.openssl.skipped"])
    wrk_row(test, "cfssl ocspserve · pre-signed", "ocsp.cfssl_cached",
            f"ocsprefresh + ocspdump file; {num(r, 'ocsp.cfssl_cached.bytes') or 0:,.0f} B/response")
    wrk_row(test, "cfssl ocspserve · with nonce", "ocsp.cfssl_nonce",
            "nonce ignored: the pre-signed response is returned")

    # 4. Scale.
    for key, name in (("scale_sqlite", "SQLite"), ("scale_pg", "PostgreSQL")):
        if f"{key}.certs" not in r:
            continue
        test = f"4 Scale · {name}"
        certs, rev = num(r, f"{key}.certs"), num(r, f"{key}.revoked")
        t.add(test, "data set", f"{certs:,.0f} certs", "", "", "", "", "",
              f"{rev or 0:,.0f} revoked; bulk SQL load {num(r, f'{key}.load_s') or 0:.0f} s; "
              f"{num(r, f'{key}.db_mb') or 0:,.0f} MB on disk")
        p99 = num(r, f"{key}.lookup.p99_us")
        wrk_row(test, f"OCSP status look-up, random serials (wrk -t1 -c{r.get('lookup_conns', '4')})",
                f"{key}.lookup",
                f"{num(r, f'{key}.pool') or 0:,.0f} serials, nonce: every request reads the "
                f"database and signs" + (f"; +{cpu(num(r, f'{key}.lookup.extra_cpu_us'))} µs/op in "
                                         f"PostgreSQL" if key == "scale_pg" else ""),
                f"p99 < {LOOKUP_P99_MS:.0f} ms",
                verdict(p99 / 1000 if p99 is not None else None, LOOKUP_P99_MS, "<"))
        q50, q99 = num(r, f"{key}.query_p50_us"), num(r, f"{key}.query_p99_us")
        if q99 is not None:
            how = ("Python sqlite3, read-only connection" if key == "scale_sqlite"
                   else "PL/pgSQL loop, timed inside the server")
            t.add(test, "  ↳ the status query alone", "", ms(q50), ms(q99), "", "", "",
                  f"same serials, one query each ({how})")
        crl = num(r, f"{key}.crl_s")
        if crl is not None:
            entries = num(r, f"{key}.crl_entries") or 0
            t.add(test, "gzca crl --issuer p256 (CLI, wall time)", f"{crl:.2f} s", "", "", "",
                  f"< {CRL_S:.0f} s", verdict(crl, CRL_S, "<"),
                  f"{entries:,.0f} entries, {(num(r, f'{key}.crl_bytes') or 0) / 1e6:.1f} MB; "
                  f"includes process start and key unlock")
        wrk_row(test, "issuance P-256 into the full database", f"{key}.issue",
                f"+{cpu(num(r, f'{key}.issue.extra_cpu_us'))} µs/op in PostgreSQL"
                if key == "scale_pg" else "")

    # Memory: every gzca serve of the run.
    mem = [(k[:-len(".hwm_kb")], num(r, k) / 1024) for k in r if k.endswith(".hwm_kb")]
    if mem:
        worst = max(mem, key=lambda x: x[1])
        rss = {k[:-len(".rss_kb")]: num(r, k) / 1024 for k in r if k.endswith(".rss_kb")}
        detail = ", ".join(f"{k.replace('mem.', '').replace('.end', '')} {rss.get(k, 0):.0f}/{v:.0f}"
                           for k, v in mem if not k.endswith((".start", ".after_crl")))
        t.add("5 Memory", "gzca serve peak VmHWM (all runs)", f"{worst[1]:.0f} MB", "", "", "",
              f"< {RSS_MB:.0f} MB", verdict(worst[1], RSS_MB, "<"),
              f"peak in {worst[0]}; VmRSS/VmHWM MB at stop: {detail}")

    table = t.markdown()
    print(table)

    notes = [
        f"Run {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}; {r.get('machine.cores')} cores "
        f"({r.get('machine.cpu', '?')}), load average at start {r.get('machine.load', '?')}; "
        f"total {r.get('total_s', '?')} s.",
        f"Settings: {secs}.",
        f"Versions: {r.get('versions', '?')}.",
        "Ratio = measured ÷ target; ok/MISS says whether the target's comparison holds.",
        "Rates count 2xx responses only. Latencies are wrk 4's, which corrects for coordinated "
        "omission: one stall of S ms adds synthetic samples up to S, so a single pause (another "
        "job on the machine, a checkpoint) can set p99. wrk runs on the same cores as the server, "
        "so every server gets less than the whole machine.",
        "CPU µs/op: utime+stime of the server process(es) from /proc/PID/stat over the measured run, "
        "divided by the 2xx responses (10 ms tick resolution). PostgreSQL backends' CPU is given "
        "apart in the notes.",
        "Issuance: the same CSR is POSTed every time; gzca and cfssl issue a new certificate with a "
        "new serial each time. gzca over HTTPS; cfssl serve over HTTPS too (-tls-cert), both keep-alive.",
        "OCSP: requests are DER from `openssl ocsp -reqout` (SHA-1 CertID), -no_nonce for the "
        "pre-signed path. `openssl ocsp -port` (no -nrequest) is started afresh for every wrk run: "
        "OpenSSL 3.0's responder spins forever on a connection closed before its request arrives, "
        "as wrk leaves some at the end of a run. It binds every address, so it runs in a network "
        "namespace with only loopback.",
        "Scale: rows inserted with one SQL statement per table (fake DER); look-ups use a pool of "
        "DER requests for random serials, with a nonce so that gzca's cache never answers.",
    ]
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        f.write("# gzca benchmark: latest run\n\n")
        f.write("Made by `bench/run.sh` (`make bench`).\n\n")
        f.write(table + "\n\n")
        f.write("\n".join(f"- {n}" for n in notes) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
