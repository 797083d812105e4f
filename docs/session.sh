#!/usr/bin/env bash
# A session, end to end, on simulated machines: each laptop is a vault folder (BREAKGLASS_HOME), the
# files carried between them lie in one working folder, and what a person would type at a hidden
# prompt (a passphrase, the secret) is read from a private file instead. Needs `breakglass` on PATH.
set -euo pipefail

# the stage: one working folder, removed at the end; its folders 0700, its files 0600
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf -- "$work"' EXIT
cd "$work"
umask 077
mkdir laptops typed
for who in alice bob carol dave; do printf '%s demo passphrase' "$who" > "typed/$who"; done
printf '%s' 'pg-root: demo-Vq7tLx2' > typed/prod-db-root
field() { node -p "JSON.parse(require('fs').readFileSync(0, 'utf8')).$1 ?? process.exit(1)"; }   # from --json (jq may be absent)

# on each person's own laptop (holders alice, bob, carol; requester dave)
for who in alice bob carol dave; do
  export BREAKGLASS_HOME="$work/laptops/$who"
  breakglass init --name "$who's laptop"
  breakglass member create --id "$who" --name "${who^}" --out "$who.card" --passphrase-file "typed/$who"   # a new passphrase
  breakglass member export-key --id "$who" --out "$who.custody" --passphrase-file "typed/$who"          # wrapped by that passphrase
done

# on the vault laptop (the crash cart)
export BREAKGLASS_HOME="$work/laptops/crash-cart"
genesis_key="$(breakglass --json init --name "crash cart" | field genesisKey)"
echo "crash cart: genesis key $genesis_key"                                         # give it to security and the holders
for who in alice bob carol dave; do breakglass member add "$who.card" --custody "$who.custody"; done
cp "$here/policy.example.yaml" policy.yaml                                          # security's policy (the example)
breakglass policy check policy.yaml
breakglass policy set policy.yaml
breakglass seal --credential prod-db-root --label "prod DB root" --secret-file - < typed/prod-db-root   # at a terminal: typed twice, hidden

# the outage
request="$(breakglass --json request --credential prod-db-root --trigger network-outage \
  --reason "WAN down, IdP unreachable" --incident INC-4711 --requester dave --passphrase-file typed/dave | field request)"
breakglass request show "$request"
breakglass approve "$request" --holder alice --yes --passphrase-file typed/alice    # alice, in person: the whole request is shown, then y/N
breakglass request export "$request" --holder bob --out bob.bundle                  # carry to bob (file or text code)
BREAKGLASS_HOME="$work/laptops/bob" \
  breakglass approve --bundle bob.bundle --out bob.approval --yes --passphrase-file typed/bob   # on bob's laptop, offline
breakglass approval import bob.approval                                             # back on the vault laptop
breakglass unseal "$request" --out prod-db-root.out                                 # or --reveal, or --copy
cmp prod-db-root.out typed/prod-db-root                                             # the secret that was sealed
rm prod-db-root.out
breakglass close prod-db-root

# afterwards
status=0; breakglass reseal prod-db-root || status=$?                              # refused: REVIEW_REQUIRED
test "$status" -eq 3                                                                # exit 3: refused by policy or state
breakglass review prod-db-root --reviewer carol --warranted yes \
  --summary "WAN down; root used to fail over" --changes "none" --passphrase-file typed/carol
breakglass reseal prod-db-root
breakglass journal verify --genesis-key "$genesis_key"                              # the genesis key init printed
