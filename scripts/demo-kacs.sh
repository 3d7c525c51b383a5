#!/bin/sh
# The demo's last part (scripts/demo.sh runs it; tests/kernel/test_kacs.c runs
# it in CI): a small Peios-style program under clonekit kacs run, then the
# decision log. Argument: the clonekit binary of a build (its tests/kacs-helper
# beside it).
set -eu
ck=${1:-build/clonekit}
if [ -t 1 ]; then B='\033[1m'; N='\033[0m'; else B=; N=; fi
echo
echo "The model enforced on a real tree: clonekit kacs run starts a small"
echo "Peios-style program (tests/helpers/kacs-helper: raw KACS syscalls, one line"
echo "each) whose processes log in as alice and bob with kacs_create_session,"
echo "kacs_create_token and KACS_IOC_INSTALL. Bob's SIGTERM is refused by alice's"
echo "process SD until she, its owner, adds him with kacs_set_sd; a binary signed"
echo "for PIP (Protected/8192) cannot be attached even with SeDebugPrivilege;"
echo "no_child_process refuses a fork while a thread starts. Then the decision log."
helper=$(dirname "$ck")/tests/kacs-helper
dir=$(mktemp -d)
openssl genpkey -algorithm ed25519 -out "$dir/k.pem" 2>/dev/null
cp "$helper" "$dir/protected"
"$ck" kacs sign --key "$dir/k.pem" "$dir/protected" >/dev/null
key=$("$ck" kacs sign --key "$dir/k.pem" --print-public):512:8192
bob=S-1-5-21-1-2-3-1002
program="fork alice; @alice as alice; @alice ignore TERM
fork bob; @bob as bob
@bob kill \$alice TERM
@alice setsd self DACL D:(A;;GA;;;S-1-5-21-1-2-3-1001)(A;;GA;;;SY)(A;;0x1;;;$bob)(A;;0x1000;;;WD)
@bob kill \$alice TERM
fork signed; @signed as alice; @signed exec $dir/protected
@bob open_self 0 ADJUST_PRIVS =h; @bob enable %h SeDebug
@bob ptrace_attach \$signed
@alice set_psb self NO_CHILD; @alice try_thread; @alice try_fork"
printf "\n${B}$ %s kacs run --pip-key KEY:512:8192 --decisions log -- kacs-helper run '...'${N}\n" "$ck"
echo "$program" | sed 's/^/    /'
echo
"$ck" kacs run --pip-key "$key" --decisions "$dir/log" -- "$helper" run "$program"
printf "\n${B}$ the decision log, one line a decision (JSON Lines in the file)${N}\n"
python3 -c '
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    who = lambda u: {"S-1-5-21-1-2-3-1001": "alice", "S-1-5-21-1-2-3-1002": "bob", "S-1-5-18": "SYSTEM"}.get(u, u)
    verdict = "allowed" if not d.get("error") else "%s (%s)" % (d["error"], d["reason"])
    print("  %-6s %-18s -> %-6s right %-8s pip %d/%d -> %d/%d  %s" % (who(d["caller_user"]), d["op"],
          who(d.get("target_user") or "-"), d["right"], d["caller_pip_type"], d["caller_pip_trust"],
          d["target_pip_type"], d["target_pip_trust"], verdict))
' "$dir/log"
rm -rf "$dir"
