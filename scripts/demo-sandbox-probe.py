# The program scripts/demo-sandbox.sh confines (read from stdin by python3):
# it tries what a program may want to do and prints, one line each, what
# happened -- every line is the outcome of the attempt, nothing is assumed.
import ctypes
import errno
import os
import signal
import socket
import stat
import subprocess
import sys

libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWUSER, CLONE_NEWNET = 0x10000000, 0x40000000


def name(e):
    return errno.errorcode.get(e, str(e))


def say(could, what, how):
    print("  %-9s %s: %s" % ("could" if could else "could not", what, how), flush=True)


def attempt(what, fn):
    try:
        how = fn()
        say(True, what, how or "done")
    except OSError as e:
        say(False, what, name(e.errno))


def write(path):
    with open(path, "w") as f:
        f.write("from the sandbox\n")
    return "written"


def call(fn, *args):
    if fn(*args) < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return "allowed"


print("A read-only system:")
attempt("write /usr/bin/ck-demo", lambda: write("/usr/bin/ck-demo"))
attempt("write /etc/ck-demo", lambda: write("/etc/ck-demo"))

print("A private /tmp and /dev:")
attempt("write /tmp/ck-demo", lambda: write("/tmp/ck-demo") + ", /tmp holds " + " ".join(sorted(os.listdir("/tmp"))))
devs = sorted(os.listdir("/dev"))
blocks = [d for d in devs if stat.S_ISBLK(os.lstat("/dev/" + d).st_mode)]
say(bool(blocks), "see a disk", "%d block devices in /dev (%s)" % (len(blocks), " ".join(devs)))

print("No capabilities (uid %d):" % os.getuid())
eff = [l.split()[1] for l in open("/proc/self/status") if l.startswith("CapEff:")][0]
say(int(eff, 16) != 0, "hold a capability", "CapEff " + eff)
attempt("mount a tmpfs", lambda: call(libc.mount, b"none", b"/tmp", b"tmpfs", 0, None))
attempt("give /tmp/ck-demo to uid 1", lambda: os.chown("/tmp/ck-demo", 1, 1))

print("A seccomp policy that refuses namespaces:")
attempt("unshare a user namespace", lambda: call(libc.unshare, CLONE_NEWUSER))
attempt("unshare a network namespace", lambda: call(libc.unshare, CLONE_NEWNET))

print("Its own network namespace (loopback only):")
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen()
attempt("connect to 127.0.0.1", lambda: socket.create_connection(srv.getsockname(), 2).close())
attempt("connect to 1.1.1.1:53", lambda: socket.create_connection(("1.1.1.1", 53), 2).close())

groups = [l.strip().split(":", 1)[1] for l in open("/proc/self/cgroup") if ":memory:" in l or ":pids:" in l]
print("Limits that bite (its own /proc/self/cgroup: %s):" % ", ".join(sorted(groups)))
# memory: a child takes 1 MiB at a time and says how far it got, until the limit stops it
hog = subprocess.Popen([sys.executable, "-c",
                        "import sys\nkeep = []\nwhile len(keep) < 1024:\n"
                        "    keep.append(bytearray(1 << 20))\n"
                        "    print(len(keep), flush=True)\n"],
                       stdout=subprocess.PIPE, text=True)
got = hog.stdout.read().split()
hog.wait()
mib = got[-1] if got else "0"
if hog.returncode < 0:
    say(False, "take 1 GiB of memory",
        "killed by %s after %s MiB" % (signal.Signals(-hog.returncode).name, mib))
else:
    say(hog.returncode == 0, "take 1 GiB of memory", "exited %d after %s MiB" % (hog.returncode, mib))
# pids: fork until refused, the children waiting on a pipe
r, w = os.pipe()
kids, refused = [], None
while len(kids) < 1000:
    try:
        pid = os.fork()
    except OSError as e:
        refused = e.errno
        break
    if pid == 0:
        os.close(w)
        os.read(r, 1)
        os._exit(0)
    kids.append(pid)
os.close(w)
for pid in kids:
    os.waitpid(pid, 0)
say(refused is None, "fork 1000 processes",
    "%d forked, then %s" % (len(kids), name(refused)) if refused else "%d forked" % len(kids))
