#!/usr/bin/env bash
# The CA through its CLI, checked by openssl, GnuTLS certtool, NSS certutil and
# python3-cryptography. Usage: ca_cli_test.sh GZCA_BINARY sqlite|postgres
GZCA=$1
source "$(dirname "$0")/lib.sh"
setup_db "$2"
cd "$WORK"
DISTID=1234567812345678

# --- hierarchies ----------------------------------------------------------------------------
gz ca init --name sm2 >/dev/null
gz ca init --name p256 --algorithm ecdsa-p256 >/dev/null
gz ca init --name rsa --algorithm rsa-2048 \
    --root-subject '/C=CN/O=国资CA测试/CN=国资CA RSA根证书' >/dev/null
[ "$(gz ca list --json | json_field '.__len__()')" = 9 ] || fail "expected 9 CA certificates"
ok "three hierarchies (SM2, P-256, RSA) coexist"
expect_fail "second init of the same name" "already exists" gz ca init --name sm2
for h in sm2 p256 rsa; do
    gz ca cert $h-root >$h-root.pem
    gz ca cert $h-issuing >$h-issuing.pem
    cat $h-issuing.pem $h-root.pem >$h-chain.pem
done
grep -q "ENCRYPTED PRIVATE KEY" "$DATA/keys/sm2-root.key.pem" || fail "CA key not encrypted"
openssl pkey -in "$DATA/keys/p256-issuing.key.pem" -passin env:GZCA_CA_PASSPHRASE -noout \
    || fail "openssl cannot read the PKCS#8 key with the passphrase"
ok "CA keys are encrypted PKCS#8 that openssl reads with the passphrase"

# SM2 certificates: SM2-with-SM3, no parameters (GM/T 0015); default ID required to verify.
openssl asn1parse -in sm2-root.pem | grep -q '1.2.156.10197.1.501\|SM2-with-SM3' \
    || fail "SM2 root not signed with SM2-with-SM3"
if openssl asn1parse -in sm2-root.pem | grep -A1 'SM2-with-SM3' | grep -q NULL; then
    fail "SM2 signature algorithm carries parameters"
fi
ok "SM2 CA certificates use SM2-with-SM3 without parameters"

# --- issue from OpenSSL-made CSRs -----------------------------------------------------------
openssl genpkey -algorithm SM2 -out sm2.key 2>/dev/null
openssl req -new -key sm2.key -utf8 -subj '/C=CN/O=国资测试机构/OU=信息中心/CN=张三' \
    -sm3 -sigopt distid:$DISTID -out sm2.csr
gz --json cert issue --issuer sm2 --csr sm2.csr --out sm2-leaf.pem >sm2-leaf.json
SM2_SERIAL=$(json_field "['serial']" <sm2-leaf.json)
[ "$(json_field "['csr_sm2_id']" <sm2-leaf.json)" = $DISTID ] || fail "CSR SM2 ID not recorded"
# OpenSSL 3.0's `verify -vfyopt distid:` sets the ID on the target certificate only, so a
# three-level SM2 chain is checked link by link (docs/sm2-signer-id.md).
sm2_verify() { openssl verify -vfyopt distid:$DISTID "$@" 2>&1 | grep -q ': OK'; }
sm2_verify -CAfile sm2-root.pem sm2-root.pem || fail "SM2 root self-signature"
sm2_verify -CAfile sm2-root.pem sm2-issuing.pem || fail "openssl rejects the SM2 issuing CA"
sm2_verify -partial_chain -CAfile sm2-issuing.pem sm2-leaf.pem || fail "openssl rejects the SM2 leaf"
ok "openssl verify accepts every link of the SM2 chain with distid $DISTID"
for pair in "sm2-root.pem sm2-issuing.pem" "sm2-issuing.pem sm2-leaf.pem"; do
    set -- $pair
    if openssl verify -partial_chain -CAfile "$1" "$2" >/dev/null 2>&1; then
        fail "SM2 $2 verified without the GM/T default ID: gzca signed with the wrong ID"
    fi
done
ok "no link of the SM2 chain verifies with OpenSSL's empty default ID"
openssl x509 -in sm2-leaf.pem -noout -subject -nameopt utf8,sep_comma_plus | grep -q 'CN=张三' \
    || fail "Chinese subject lost"
ok "Chinese subject survives as UTF-8"

# An SM2 CSR signed with OpenSSL's empty ID (no -sigopt) is accepted too, and says so.
openssl req -new -key sm2.key -utf8 -subj '/C=CN/O=国资测试机构/CN=李四' -sm3 -out sm2-empty.csr
[ "$(gz --json cert issue --issuer sm2 --csr sm2-empty.csr | json_field "['csr_sm2_id']")" = empty ] \
    || fail "empty-ID SM2 CSR not recognised"
ok "SM2 CSR proven with the empty ID is accepted and recorded as such"

issue_profile() {  # hierarchy keyalg profile name [extra args]
    local h=$1 keyalg=$2 profile=$3 name=$4; shift 4
    openssl genpkey $keyalg -out $name.key 2>/dev/null
    openssl req -new -key $name.key -utf8 -subj "/C=CN/O=国资测试机构/CN=$name" -out $name.csr
    gz --json cert issue --issuer $h --profile $profile --csr $name.csr --out $name.pem "$@" \
        | json_field "['serial']"
}
EC='-algorithm EC -pkeyopt ec_paramgen_curve:P-256'
RSA='-algorithm RSA -pkeyopt rsa_keygen_bits:2048'
P256_SIGN=$(issue_profile p256 "$EC" sign p256-sign)
issue_profile p256 "$EC" enc p256-enc >/dev/null
issue_profile p256 "$EC" tls-server p256-tls --dns www.ca.test >/dev/null
RSA_SIGN=$(issue_profile rsa "$RSA" sign rsa-sign)
issue_profile rsa "$RSA" tls-server rsa-tls --dns portal.ca.test >/dev/null

for h in p256 rsa; do
    for leaf in $h-sign $h-tls; do
        openssl verify -CAfile $h-root.pem -untrusted $h-issuing.pem $leaf.pem | grep -q ': OK' \
            || fail "openssl verify rejects $leaf"
        cat $leaf.pem $h-issuing.pem $h-root.pem >$leaf-full.pem
        certtool --verify-chain --infile $leaf-full.pem 2>&1 | grep -q 'Chain verification output: Verified' \
            || fail "certtool rejects $leaf"
    done
done
ok "openssl verify and GnuTLS certtool --verify-chain accept P-256 and RSA chains"

# NSS: trust the roots, then certutil -V for the usages each profile grants.
mkdir nssdb
certutil -N -d sql:nssdb --empty-password
for h in p256 rsa; do
    certutil -A -d sql:nssdb -n $h-root -t 'CT,C,C' -a -i $h-root.pem
    certutil -A -d sql:nssdb -n $h-issuing -t ',,' -a -i $h-issuing.pem
    certutil -A -d sql:nssdb -n $h-sign -t ',,' -a -i $h-sign.pem
    certutil -A -d sql:nssdb -n $h-tls -t ',,' -a -i $h-tls.pem
    certutil -V -d sql:nssdb -n $h-sign -u C | grep -q 'certificate is valid' \
        || fail "NSS rejects $h-sign as an SSL client certificate"
    certutil -V -d sql:nssdb -n $h-tls -u V | grep -q 'certificate is valid' \
        || fail "NSS rejects $h-tls as an SSL server certificate"
    if certutil -V -d sql:nssdb -n $h-sign -u V 2>&1 | grep -q 'certificate is valid'; then
        fail "NSS accepts a client signing certificate as a TLS server certificate"
    fi
done
ok "NSS certutil -V accepts client and server usages and refuses the wrong one"

# python3-cryptography parses every profile and checks the extensions.
$PY - "$WORK" <<'PYEOF'
import sys, pathlib
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID as E, ExtensionOID as X
from cryptography.hazmat.primitives.asymmetric import ec, padding
w = pathlib.Path(sys.argv[1])
def load(n): return x509.load_pem_x509_certificate((w / n).read_bytes())
def ext(c, oid): return c.extensions.get_extension_for_oid(oid)
for h in ("p256", "rsa"):
    root, issuing = load(f"{h}-root.pem"), load(f"{h}-issuing.pem")
    assert ext(root, X.BASIC_CONSTRAINTS).value.ca and ext(root, X.BASIC_CONSTRAINTS).critical
    assert ext(issuing, X.BASIC_CONSTRAINTS).value.path_length == 0
    assert ext(issuing, X.KEY_USAGE).value.key_cert_sign and ext(issuing, X.KEY_USAGE).value.crl_sign
    ski = ext(issuing, X.SUBJECT_KEY_IDENTIFIER).value.digest
    for leaf in (f"{h}-sign", f"{h}-tls") + ((f"{h}-enc",) if h == "p256" else ()):
        c = load(f"{leaf}.pem")
        assert 16 <= len(c.serial_number.to_bytes(20, "big").lstrip(b"\0")) <= 20 and c.serial_number > 0
        assert ext(c, X.AUTHORITY_KEY_IDENTIFIER).value.key_identifier == ski, leaf
        bc = [e for e in c.extensions if e.oid == X.BASIC_CONSTRAINTS]
        assert not bc or not bc[0].value.ca, leaf  # end entity: cA absent or FALSE
        cdp = ext(c, X.CRL_DISTRIBUTION_POINTS).value[0].full_name[0].value
        assert cdp == f"http://ca.test:8080/crl/{h}-issuing.crl", cdp
        aia = {a.access_method.dotted_string: a.access_location.value for a in ext(c, X.AUTHORITY_INFORMATION_ACCESS).value}
        assert aia["1.3.6.1.5.5.7.48.1"] == "http://ca.test:8080/ocsp", aia
        assert ext(c, X.CERTIFICATE_POLICIES).value[0].policy_identifier.dotted_string == "1.2.156.112570.1.1.1"
        ku = ext(c, X.KEY_USAGE)
        assert ku.critical
        days = (c.not_valid_after - c.not_valid_before).days
        assert days in (365, 366), days
        if leaf.endswith("sign"):
            assert ku.value.digital_signature and ku.value.content_commitment and not ku.value.key_encipherment
            assert E.CLIENT_AUTH in ext(c, X.EXTENDED_KEY_USAGE).value
        elif leaf.endswith("enc"):
            assert ku.value.key_encipherment and ku.value.data_encipherment and ku.value.key_agreement
            assert not ku.value.digital_signature
        else:
            assert E.SERVER_AUTH in ext(c, X.EXTENDED_KEY_USAGE).value
            assert ext(c, X.SUBJECT_ALTERNATIVE_NAME).value.get_values_for_type(x509.DNSName)
        pub = issuing.public_key()
        if h == "p256":
            pub.verify(c.signature, c.tbs_certificate_bytes, ec.ECDSA(c.signature_hash_algorithm))
        else:
            pub.verify(c.signature, c.tbs_certificate_bytes, padding.PKCS1v15(), c.signature_hash_algorithm)
print("python3-cryptography: all profiles parsed and verified")
PYEOF
ok "python3-cryptography parses every profile with the expected extensions"

# --- renew / reissue / revoke ---------------------------------------------------------------
OLD_AFTER=$(gz --json cert show --serial "$P256_SIGN" | json_field "['not_after']")
gz --json cert renew --serial "$P256_SIGN" --out renewed.pem >renewed.json
NEW_AFTER=$(json_field "['not_after']" <renewed.json)
$PY -c "
import datetime as d, sys
o = d.datetime.fromisoformat('$OLD_AFTER'.replace('Z', '+00:00'))
n = d.datetime.fromisoformat('$NEW_AFTER'.replace('Z', '+00:00'))
assert n == o.replace(year=o.year + 1), (o, n)" || fail "renewal did not move notAfter by one year"
[ "$(json_field "['replaces']" <renewed.json)" = "$P256_SIGN" ] || fail "lineage not recorded"
openssl verify -CAfile p256-root.pem -untrusted p256-issuing.pem renewed.pem | grep -q ': OK' \
    || fail "renewed certificate does not verify"
ok "renewal moves notAfter by exactly one year ($OLD_AFTER -> $NEW_AFTER) and records lineage"
expect_fail "renewing the same certificate twice" "already been renewed" gz cert renew --serial "$P256_SIGN"

openssl genpkey $RSA -out rsa-new.key 2>/dev/null
openssl req -new -key rsa-new.key -subj '/CN=whatever' -out rsa-new.csr
expect_fail "reissue with the old key" "new key" gz cert reissue --serial "$RSA_SIGN" --csr rsa-sign.csr
REISSUED=$(gz --json cert reissue --serial "$RSA_SIGN" --csr rsa-new.csr | json_field "['serial']")
[ "$(gz --json cert show --serial "$RSA_SIGN" | json_field "['status']")" = superseded ] \
    || fail "reissue did not supersede the old certificate"
ok "reissue issued $REISSUED and superseded $RSA_SIGN"

SM2_RENEWED=$(gz --json cert renew --serial "$SM2_SERIAL" | json_field "['serial']")
gz cert revoke --serial "$SM2_RENEWED" --reason keyCompromise >/dev/null
expect_fail "revoking twice" "already revoked" gz cert revoke --serial "$SM2_RENEWED"
expect_fail "revoking an unknown serial" "no certificate" gz cert revoke --serial 0123456789abcdef
expect_fail "an invalid revocation reason" "reason" gz cert revoke --serial "$SM2_SERIAL" --reason 7
gz cert revoke --serial "$P256_SIGN" --reason cessationOfOperation >/dev/null
ok "revocation with RFC 5280 reasons"

[ "$(gz --json cert list --status revoked | json_field '.__len__()')" = 3 ] || fail "list --status revoked"
[ "$(gz --json cert list --status superseded | json_field '.__len__()')" = 1 ] || fail "list --status superseded"
[ "$(gz --json cert list --subject 张三 --issuer sm2 | json_field '.__len__()')" = 2 ] || fail "list --subject"
[ "$(gz --json cert list --expiring-within 400 --issuer p256 | json_field '.__len__()')" -ge 3 ] || fail "list --expiring-within"
ok "list filters by status, subject, issuer and expiry window"

# --- CRLs -----------------------------------------------------------------------------------
gz crl --issuer p256 --out p256.crl >/dev/null
gz --json crl --issuer p256 --out p256.crl.pem --pem | json_field "['crl_number']" | grep -qx 2 \
    || fail "CRL number did not increase"
openssl crl -inform DER -in p256.crl -CAfile p256-issuing.pem -noout 2>&1 | grep -q 'verify OK' \
    || fail "openssl crl -verify rejects the P-256 CRL"
P256_SIGN_UPPER=$(tr a-f A-F <<<"$P256_SIGN")
openssl crl -inform DER -in p256.crl -noout -text >p256.crl.txt
grep -q "$P256_SIGN_UPPER" p256.crl.txt || fail "revoked serial missing from the CRL"
grep -q 'Cessation Of Operation' p256.crl.txt || fail "reason missing from the CRL"
grep -q 'X509v3 CRL Number' p256.crl.txt || fail "CRL number extension missing"
certtool --crl-info --inder --infile p256.crl >/dev/null || fail "certtool cannot parse the CRL"
certtool --verify-crl --load-ca-certificate p256-issuing.pem --infile p256.crl.pem 2>&1 \
    | grep -qi 'Verified' || fail "certtool --verify-crl rejects the CRL"
ok "P-256 CRL verified by openssl and certtool, with serial, reason and CRL number"
gz crl --issuer rsa --out rsa.crl.pem --pem >/dev/null
openssl crl -in rsa.crl.pem -CAfile rsa-issuing.pem -noout 2>&1 | grep -q 'verify OK' \
    || fail "openssl rejects the RSA CRL"
grep -q superseded <(openssl crl -in rsa.crl.pem -noout -text | tr A-Z a-z) \
    || fail "superseded reason missing from the RSA CRL"
ok "RSA CRL lists the superseded certificate and verifies"
# Relying parties reject what they should: a revoked certificate with the CRL.
cat p256-issuing.pem p256-root.pem >p256-cas.pem
gz crl --issuer p256-root --out p256-root.crl.pem --pem >/dev/null
if openssl verify -crl_check_all -CRLfile p256.crl.pem -CRLfile p256-root.crl.pem \
    -CAfile p256-cas.pem p256-sign.pem >/dev/null 2>&1; then
    fail "openssl verify accepts a revoked certificate with the CRL"
fi
openssl verify -crl_check_all -CRLfile p256.crl.pem -CRLfile p256-root.crl.pem \
    -CAfile p256-cas.pem p256-tls.pem | grep -q ': OK' || fail "CRL check rejects a good certificate"
ok "openssl verify -crl_check_all refuses the revoked certificate and accepts a good one"
gz crl --issuer sm2 --out sm2.crl >/dev/null
openssl crl -inform DER -in sm2.crl -noout -text | grep -q "$(tr a-f A-F <<<"$SM2_RENEWED")" \
    || fail "SM2 CRL does not list the revoked serial"
ok "SM2 CRL lists the revoked serial (its SM2 signature is checked in pki_test through the API)"

# Tampering is detected by the validators.
sed '5s/A/B/;5s/a/b/' p256-tls.pem >tampered.pem
if openssl verify -CAfile p256-root.pem -untrusted p256-issuing.pem tampered.pem >/dev/null 2>&1; then
    fail "openssl accepts a tampered certificate"
fi
ok "a tampered certificate is rejected"

# --- bad input changes nothing --------------------------------------------------------------
before=$(state)
head -c 100 sm2.csr >truncated.csr
printf 'not a csr at all' >garbage.csr
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out weak.key 2>/dev/null
openssl req -new -key weak.key -subj '/CN=weak' -out weak.csr
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:secp384r1 -out p384.key 2>/dev/null
openssl req -new -key p384.key -subj '/CN=p384' -out p384.csr
openssl req -new -key sm2.key -subj '/CN=x' -sm3 -sigopt distid:$DISTID -outform DER -out good.der
$PY -c "import sys; d=bytearray(open('good.der','rb').read()); d[-3]^=1; open('badsig.der','wb').write(d)"
expect_fail "truncated CSR" "CSR|request" gz cert issue --issuer sm2 --csr truncated.csr
expect_fail "garbage CSR" "CSR|request" gz cert issue --issuer sm2 --csr garbage.csr
expect_fail "CSR whose signature does not verify" "signature|possession" gz cert issue --issuer sm2 --csr badsig.der
expect_fail "RSA-1024 key" "1024|weak|RSA" gz cert issue --issuer rsa --csr weak.csr
expect_fail "P-384 key" "curve|key" gz cert issue --issuer p256 --csr p384.csr
expect_fail "absurd subject" "CN|long|64" gz cert issue --issuer sm2 --csr sm2.csr \
    --subject "/CN=$(printf 'x%.0s' $(seq 1 200))"
expect_fail "unknown profile" "profile" gz cert issue --issuer sm2 --csr sm2.csr --profile root
expect_fail "absent CSR file" "cannot read|not found" gz cert issue --issuer sm2 --csr /nonexistent.csr
expect_fail "unknown issuer" "no issuer" gz cert issue --issuer nope --csr sm2.csr
expect_fail "wrong CA passphrase" "passphrase" env GZCA_CA_PASSPHRASE=wrong-passphrase \
    "$GZCA" --data-dir "$DATA" --config "$CONFIG" cert issue --issuer sm2 --csr sm2.csr
after=$(state)
[ "$before" = "$after" ] || fail "a refused command changed the database or key files"
ok "every refused command left database rows and key files unchanged"

echo "$checks passed, 0 failed"
