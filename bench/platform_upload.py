#!/usr/bin/python3
"""Peak server memory of one 10 MB upload: resets the process's RSS high-water mark
(/proc/PID/clear_refs, "5"), uploads a 10 MB PDF into a fresh renewal-less order of the batch,
and prints VmHWM − VmRSS(before) in MB.

Usage: platform_upload.py BASE_URL WORK_DIR SERVER_PID
"""
import json
import os
import subprocess
import sys
import tempfile
import time

base, work, pid = sys.argv[1:4]
login = json.load(open(os.path.join(work, "login.json")))


def curl(*args):
    out = subprocess.run(["curl", "-sk", "-b", "gzca_sid=" + login["cookie"], "-H",
                          "X-CSRF-Token: " + login["csrf"]] + list(args),
                         capture_output=True, text=True, check=True)
    return out.stdout


order = json.loads(curl(f"{base}/api/platform/orders"))["orders"][0]["order_no"]
assert json.loads(curl("-X", "POST", f"{base}/api/platform/orders/{order}/printed"))["order"]


def status_kb(field):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
    f.write(b"%PDF-1.4\n" + os.urandom(10 * 1024 * 1024 - 64))
    f.flush()
    time.sleep(0.5)
    before = status_kb("VmRSS")
    with open(f"/proc/{pid}/clear_refs", "w") as c:
        c.write("5")
    code = curl("-X", "PUT", "--data-binary", "@" + f.name, "-w", "%{http_code}", "-o",
                "/dev/null", f"{base}/api/platform/orders/{order}/materials/application_form")
    assert code == "200", code
    peak = status_kb("VmHWM")
    # Control: the preview GET reads the whole file into the response, so the same method must
    # see about 10 MB there — otherwise the measurement above proves nothing.
    time.sleep(0.5)
    control_before = status_kb("VmRSS")
    with open(f"/proc/{pid}/clear_refs", "w") as c:
        c.write("5")
    curl("-o", "/dev/null", f"{base}/api/platform/orders/{order}/materials/application_form")
    control = status_kb("VmHWM") - control_before
print(f"{(peak - before) / 1024:.1f} MB (control: the 10 MB preview GET, which holds the file "
      f"in memory, measured {control / 1024:.1f} MB by the same method)")
