#!/usr/bin/env python3
"""Makes a pool of DER OCSP requests, one per serial, from one request made by `openssl ocsp`.

Usage: ocsp_pool.py TEMPLATE_DER TEMPLATE_SERIAL_HEX SERIALS_FILE OUT_FILE

TEMPLATE_DER is an OCSPRequest for TEMPLATE_SERIAL_HEX (`openssl ocsp -issuer CA.pem -serial
0x... -reqout`, with or without a nonce). Each line of SERIALS_FILE is a hex serial of the same
octet length; for each, the template's serialNumber INTEGER contents are replaced, so every
length in the DER stays valid. OUT_FILE gets one hex-encoded request a line (bench/post_pool.lua).
Serials must be positive and minimal (first octet 0x01..0x7f), like the template's.
"""

import sys


def integer_tlv(magnitude: bytes) -> bytes:
    if not magnitude or magnitude[0] == 0 or magnitude[0] & 0x80 or len(magnitude) > 126:
        raise ValueError(f"serial {magnitude.hex()} is not a minimal positive INTEGER")
    return bytes([0x02, len(magnitude)]) + magnitude


def main() -> int:
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    template = open(sys.argv[1], "rb").read()
    old = integer_tlv(bytes.fromhex(sys.argv[2]))
    at = template.find(old)
    if at < 0 or template.find(old, at + 1) >= 0:
        print("ocsp_pool: template serial not found exactly once in the request", file=sys.stderr)
        return 1
    count = 0
    with open(sys.argv[3]) as serials, open(sys.argv[4], "w") as out:
        for line in serials:
            line = line.strip()
            if not line:
                continue
            new = integer_tlv(bytes.fromhex(line))
            if len(new) != len(old):
                print(f"ocsp_pool: serial {line} differs in length from the template's",
                      file=sys.stderr)
                return 1
            out.write((template[:at] + new + template[at + len(old):]).hex() + "\n")
            count += 1
    if count == 0:
        print("ocsp_pool: no serials", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
