#!/bin/sh
# Signs a bundle with nothing but stock tools (openssl, sha256sum, base64), producing the same
# DSSE envelope `uiserve bundle sign` makes. The README's signing recipe is this script, and a test
# runs it and checks that `uiserve bundle verify` accepts the result.
# Usage: sign-with-openssl.sh <bundle.tar.zst> <private-key.pem> <publisher> <name> <version> > bundle.sig
set -eu
bundle=$1 key=$2 publisher=$3 name=$4 version=$5
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

# 1. The in-toto statement: the archive's SHA-256 and the extension it claims to be.
hex=$(sha256sum "$bundle" | cut -d' ' -f1)
printf '{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"bundle.tar.zst","digest":{"sha256":"%s"}}],"predicateType":"https://uiserve.dev/extension-bundle/v1","predicate":{"publisher":"%s","name":"%s","version":"%s"}}' \
  "$hex" "$publisher" "$name" "$version" > "$work/statement.json"

# 2. DSSE's pre-authentication encoding: "DSSEv1 <len(type)> <type> <len(body)> <body>".
type=application/vnd.in-toto+json
printf 'DSSEv1 %d %s %d ' "${#type}" "$type" "$(wc -c < "$work/statement.json")" > "$work/pae.bin"
cat "$work/statement.json" >> "$work/pae.bin"

# 3. Sign the PAE: Ed25519 pure, ECDSA P-256 over SHA-256 (DER), or RSA-PSS/SHA-256 with salt = 32.
info=$(openssl pkey -in "$key" -noout -text)
case "$info" in
  ED25519*) openssl pkeyutl -sign -inkey "$key" -rawin -in "$work/pae.bin" -out "$work/sig.bin" ;;
  *"ASN1 OID: prime256v1"*) openssl dgst -sha256 -sign "$key" -out "$work/sig.bin" "$work/pae.bin" ;;
  *) openssl dgst -sha256 -sign "$key" -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest \
       -out "$work/sig.bin" "$work/pae.bin" ;;
esac

# 4. The envelope; keyid = SHA-256 of the public key's SubjectPublicKeyInfo DER (a hint only).
keyid=$(openssl pkey -in "$key" -pubout -outform DER | sha256sum | cut -d' ' -f1)
printf '{"payloadType":"%s","payload":"%s","signatures":[{"keyid":"%s","sig":"%s"}]}\n' \
  "$type" "$(base64 -w0 "$work/statement.json")" "$keyid" "$(base64 -w0 "$work/sig.bin")"
