#!/usr/bin/env bash
# Verify a delegaties attestation with standard tools only (OpenSSL 3, jq, xxd, coreutils):
# no delegaties code is involved, so an auditor can run it years later with just the token
# and the published JWKS.  Usage: verify-attestation.sh TOKEN_FILE JWKS_FILE
set -euo pipefail
TOKEN=$1 JWKS=$2
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
b64url() { tr '_-' '/+' | { s=$(cat); while [ $(( ${#s} % 4 )) -ne 0 ]; do s="$s="; done; printf '%s' "$s"; } | base64 -d; }
header=$(cut -d. -f1 "$TOKEN" | tr -d '\n' | b64url)
[ "$(printf '%s' "$header" | jq -r .alg)" = "EdDSA" ] || { echo "alg is not EdDSA" >&2; exit 1; }
kid=$(printf '%s' "$header" | jq -r .kid)
x=$(jq -r --arg k "$kid" '.keys[] | select(.kid == $k) | .x' "$JWKS")
[ -n "$x" ] || { echo "kid $kid not in $JWKS" >&2; exit 1; }
# An Ed25519 public key in DER is a fixed 12-byte SubjectPublicKeyInfo prefix plus the 32 key bytes.
{ printf '302a300506032b6570032100' | xxd -r -p; printf '%s' "$x" | b64url; } > "$work/pub.der"
openssl pkey -pubin -inform DER -in "$work/pub.der" -out "$work/pub.pem"
cut -d. -f1,2 "$TOKEN" | tr -d '\n' > "$work/signing-input"
cut -d. -f3 "$TOKEN" | tr -d '\n' | b64url > "$work/signature"
openssl pkeyutl -verify -pubin -inkey "$work/pub.pem" -rawin -in "$work/signing-input" -sigfile "$work/signature"
cut -d. -f2 "$TOKEN" | tr -d '\n' | b64url | jq '{iss, sub, iat, exp, jti, allowed: .answer.allowed, question, register}'
