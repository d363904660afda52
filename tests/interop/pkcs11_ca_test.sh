#!/usr/bin/env bash
# CA keys in a PKCS#11 token (SoftHSM2), P-256 and RSA. SoftHSM2 has no SM2 mechanism, so SM2
# CA keys live in encrypted files (see docs/ca-keys.md).
# Usage: pkcs11_ca_test.sh GZCA_BINARY sqlite|postgres
GZCA=$1
source "$(dirname "$0")/lib.sh"
setup_db "$2"
cd "$WORK"
MODULE=/usr/lib/softhsm/libsofthsm2.so
[ -f $MODULE ] || fail "SoftHSM2 is not installed ($MODULE)"
command -v pkcs11-tool >/dev/null || fail "pkcs11-tool (opensc) is not installed"

mkdir tokens
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\n' "$WORK" >softhsm2.conf
export SOFTHSM2_CONF=$WORK/softhsm2.conf
softhsm2-util --init-token --free --label gzca-ca --so-pin 87654321 --pin 11223344 >/dev/null
P11=(pkcs11-tool --module $MODULE --token-label gzca-ca --login --pin 11223344)
"${P11[@]}" --keypairgen --key-type EC:prime256v1 --label p256-root --id 01 >/dev/null
"${P11[@]}" --keypairgen --key-type EC:prime256v1 --label p256-issuing --id 02 >/dev/null
"${P11[@]}" --keypairgen --key-type rsa:2048 --label rsa-root --id 03 >/dev/null
"${P11[@]}" --keypairgen --key-type rsa:2048 --label rsa-issuing --id 04 >/dev/null
ok "SoftHSM2 token with P-256 and RSA key pairs"

export GZCA_PKCS11_PIN=11223344
uri() { echo "pkcs11:token=gzca-ca;object=$1;type=private"; }
for h in p256 rsa; do
    gz --pkcs11-module $MODULE ca init --name hsm-$h --root-key "$(uri $h-root)" \
        --issuing-key "$(uri $h-issuing)" >/dev/null
    gz ca cert hsm-$h-root >$h-root.pem
    gz ca cert hsm-$h-issuing >$h-issuing.pem
    case $h in p256) alg='-algorithm EC -pkeyopt ec_paramgen_curve:P-256' ;;
               rsa) alg='-algorithm RSA -pkeyopt rsa_keygen_bits:2048' ;; esac
    openssl genpkey $alg -out $h.key 2>/dev/null
    openssl req -new -key $h.key -utf8 -subj "/C=CN/O=国资测试机构/CN=$h 用户" -out $h.csr
    # The module path was recorded with the key reference: no --pkcs11-module needed now.
    gz cert issue --issuer hsm-$h --csr $h.csr --out $h-leaf.pem >/dev/null
    openssl verify -CAfile $h-root.pem -untrusted $h-issuing.pem $h-leaf.pem | grep -q ': OK' \
        || fail "openssl rejects the chain signed in the token ($h)"
    cat $h-leaf.pem $h-issuing.pem $h-root.pem >$h-full.pem
    certtool --verify-chain --infile $h-full.pem 2>&1 | grep -q 'Chain verification output: Verified' \
        || fail "certtool rejects the token-signed chain ($h)"
    gz crl --issuer hsm-$h --out $h.crl.pem --pem >/dev/null
    openssl crl -in $h.crl.pem -CAfile $h-issuing.pem -noout 2>&1 | grep -q 'verify OK' \
        || fail "token-signed CRL does not verify ($h)"
done
[ "$(gz ca list --json | json_field "[0]['key']")" = pkcs11 ] || fail "root key not reported as pkcs11"
ok "hierarchies with keys in SoftHSM2 (P-256, RSA) issue certificates and CRLs that verify"
[ ! -e "$DATA/keys/hsm-p256-root.key.pem" ] && [ ! -e "$DATA/keys/hsm-rsa-issuing.key.pem" ] || fail "a token key was written to a file"
ok "token-held CA keys never appear as files"

before=$(state)
expect_fail "wrong PIN" "PIN|unauthenticated|login" env GZCA_PKCS11_PIN=99999999 \
    "$GZCA" --data-dir "$DATA" --config "$CONFIG" cert issue --issuer hsm-p256 --csr p256.csr
expect_fail "token absent" "token|unavailable|module" env SOFTHSM2_CONF=/nonexistent.conf \
    "$GZCA" --data-dir "$DATA" --config "$CONFIG" cert issue --issuer hsm-rsa --csr rsa.csr
expect_fail "no such key in the token" "key|not found" gz --pkcs11-module $MODULE ca init \
    --name hsm-missing --root-key "$(uri nope)" --issuing-key "$(uri nope2)"
[ "$before" = "$(state)" ] || fail "a refused command changed the database or key files"
ok "refused token operations changed nothing"
echo "$checks passed, 0 failed"
