#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What `meson install` of a build ships, checked as a packager would.

Installs BUILDDIR into a fresh DESTDIR (BUILDDIR/install-check) and holds it to:
  - exports: libclonekit.so exports exactly the CK_API functions the installed
    headers declare, each at a CLONEKIT_* version node;
  - internals: every global symbol of libclonekit.a is public API or starts
    with ck__;
  - headers: each installed header compiles on its own (C99 -Wpedantic);
    without the watcher (CK_HAVE_WATCHER 0) watch.h is absent and libbpf is
    neither NEEDED nor in clonekit.pc;
  - version: clonekit.pc's version, CK_VERSION_STRING, ck_version() and
    `clonekit --version` are the project's;
  - consumer: tests/packaging/consumer.c, built with `pkg-config --cflags
    --libs clonekit` against the shared library and again against the static
    one (pkg-config --static), runs ck_validate, ck_spawn and ck_probe;
  - man pages: `man NAME` renders, without a groff warning, for every exported
    function, documented on exactly one page whose NAME section lists it,
    with a synopsis and a description (other names are .so aliases); every
    page has RETURN VALUE, ERRORS and SEE ALSO, carries the project's
    version, and refers only to clonekit pages that are installed.
Exits 0 when everything holds; otherwise prints every failure and exits 1.
"""
import json
import os
import re
import shutil
import subprocess
import sys

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, flush=True)


def run(cmd, env=None, check=True, **kw):
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, **kw)
    if check and r.returncode != 0:
        raise SystemExit("%s: exit %d\n%s%s" % (" ".join(cmd), r.returncode, r.stdout, r.stderr))
    return r


def install(builddir):
    destdir = os.path.join(builddir, "install-check")
    shutil.rmtree(destdir, ignore_errors=True)
    run(["meson", "install", "-C", builddir, "--no-rebuild", "--quiet", "--destdir", destdir])
    opts = {o["name"]: o["value"] for o in json.loads(
        run(["meson", "introspect", "--buildoptions", builddir]).stdout)}
    def at(key):
        return os.path.join(destdir + opts["prefix"], opts[key])
    return {
        "destdir": destdir,
        "libdir": at("libdir"),
        "include": os.path.join(at("includedir"), "clonekit"),
        "bindir": at("bindir"),
        "mandir": at("mandir"),
        "sanitize": opts.get("b_sanitize", "none"),
        "version": json.loads(run(["meson", "introspect", "--projectinfo", builddir]).stdout)["version"],
    }


def strip_comments(text):
    return re.sub(r"/\*.*?\*/|//[^\n]*", " ", text, flags=re.S)


def declared_api(include):
    """The CK_API functions the installed headers declare."""
    api = {}
    for h in sorted(os.listdir(include)):
        if not h.endswith(".h"):
            continue
        text = strip_comments(open(os.path.join(include, h)).read())
        for m in re.finditer(r"\bCK_API\b[^;]*?\b(ck_\w+)\s*\(", text):
            api[m.group(1)] = h
    return api


def nm(args, path):
    out = run(["nm"] + args + [path]).stdout
    syms = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3:
            syms.append((parts[1], parts[2]))
    return syms


def check_exports(inst, api):
    so = os.path.join(inst["libdir"], "libclonekit.so")
    exported = {}
    for kind, name in nm(["-D", "--defined-only"], so):
        if kind == "A":  # the version node itself
            continue
        base, _, version = name.partition("@@")
        exported[base] = version
    for name in sorted(set(api) - set(exported)):
        fail("%s declares %s with CK_API, but libclonekit.so does not export it" % (api[name], name))
    for name in sorted(set(exported) - set(api)):
        fail("libclonekit.so exports %s, which no installed header declares with CK_API" % name)
    for name, version in sorted(exported.items()):
        if not version.startswith("CLONEKIT_"):
            fail("libclonekit.so exports %s without a CLONEKIT_* version (%r)" % (name, version))
    print("exports: %d functions exported, %d declared" % (len(exported), len(api)))


def check_internals(inst, api):
    a = os.path.join(inst["libdir"], "libclonekit.a")
    bad = sorted({name for kind, name in nm(["-g", "--defined-only"], a)
                  if name not in api and not name.startswith("ck__")})
    for name in bad:
        fail("libclonekit.a defines the global %s: neither public API nor ck__-prefixed" % name)
    print("internals: %d global symbols of libclonekit.a are neither API nor ck__" % len(bad))


def have_watcher(inst):
    text = open(os.path.join(inst["include"], "features.h")).read()
    m = re.search(r"#define CK_HAVE_WATCHER (\d)", text)
    return m and m.group(1) == "1"


def check_headers(inst, watcher):
    headers = sorted(h for h in os.listdir(inst["include"]) if h.endswith(".h"))
    if ("watch.h" in headers) != watcher:
        fail("CK_HAVE_WATCHER is %d but watch.h is %sinstalled" % (watcher, "" if "watch.h" in headers else "not "))
    root = os.path.dirname(inst["include"])
    for h in headers:
        r = run(["cc", "-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-fsyntax-only",
                 "-I", root, "-x", "c", "-"], input="#include <clonekit/%s>\nint ck_unit;\n" % h, check=False)
        if r.returncode != 0:
            fail("<clonekit/%s> does not compile on its own:\n%s" % (h, r.stderr))
    print("headers: %d installed, each compiles alone" % len(headers))


def pkg_config(inst, *args):
    env = dict(os.environ)
    # clonekit.pc from DESTDIR (its paths moved there), its requirements from the system
    env["PKG_CONFIG_PATH"] = os.path.join(inst["libdir"], "pkgconfig")
    env["PKG_CONFIG_SYSROOT_DIR"] = inst["destdir"]
    return run(["pkg-config"] + list(args) + ["clonekit"], env=env).stdout.split()


def check_linkage(inst, watcher):
    needed = run(["readelf", "-d", os.path.join(inst["libdir"], "libclonekit.so")]).stdout
    pc = open(os.path.join(inst["libdir"], "pkgconfig", "clonekit.pc")).read()
    if not watcher:
        if "libbpf" in needed:
            fail("built without the watcher, libclonekit.so still needs libbpf")
        if "libbpf" in pc:
            fail("built without the watcher, clonekit.pc still names libbpf")
    if "libseccomp" not in needed:
        fail("libclonekit.so does not need libseccomp")


def check_version(inst):
    want = inst["version"]
    pcv = pkg_config(inst, "--modversion")
    if pcv != [want]:
        fail("pkg-config --modversion clonekit is %s, the project is %s" % (pcv, want))
    m = re.search(r'#define CK_VERSION_STRING "([^"]*)"', open(os.path.join(inst["include"], "features.h")).read())
    if not m or m.group(1) != want:
        fail("CK_VERSION_STRING is %s, the project is %s" % (m and m.group(1), want))
    out = run([os.path.join(inst["bindir"], "clonekit"), "--version"]).stdout
    # the version, then how the command is linked (meson's static_cli)
    lines = out.split("\n")
    if len(lines) != 3 or lines[0] != "clonekit %s" % want or not lines[1].startswith("linked ") or lines[2]:
        fail("clonekit --version prints %r" % out)
    # a static PIE has no program interpreter (meson -Dstatic_cli)
    static = "INTERP" not in run(["readelf", "-lW", os.path.join(inst["bindir"], "clonekit")]).stdout
    if lines[1].startswith("linked as a static PIE") != static:
        fail("clonekit --version says %r, but readelf finds it %s" % (lines[1], "static" if static else "dynamic"))
    print("version: %s in clonekit.pc, features.h and clonekit --version (%s)" % (want, lines[1]))


def check_consumer(inst, consumer, watcher):
    out = os.path.join(inst["destdir"], "consumer")
    san = [] if inst["sanitize"] in ("none", "") else ["-fsanitize=" + inst["sanitize"]]
    cflags = pkg_config(inst, "--cflags")
    # The shared library, as an ordinary program links it.
    run(["cc", "-Werror", "-Wall"] + san + cflags + [consumer, "-o", out + "-shared"] + pkg_config(inst, "--libs"))
    # The static archive, with what clonekit.pc says it needs.
    static_libs = [f for f in pkg_config(inst, "--static", "--libs") if f != "-lclonekit"]
    run(["cc", "-Werror", "-Wall"] + san + cflags + [consumer, "-o", out + "-static",
         os.path.join(inst["libdir"], "libclonekit.a")] + static_libs)
    env = dict(os.environ, LD_LIBRARY_PATH=inst["libdir"])
    for kind in ("shared", "static"):
        r = run([out + "-" + kind], env=env, check=False)
        expect = "consumer: ck_validate EINVAL, ck_spawn exit 7, ck_version %s, watcher %s\n" % (
            inst["version"], "built in" if watcher else "not built in (no, ENOSYS)")
        if r.returncode != 0 or r.stdout != expect:
            fail("the consumer linked %s: exit %d\n%s%s" % (kind, r.returncode, r.stdout, r.stderr))
        if kind == "shared":
            ldd = run(["ldd", out + "-shared"], env=env).stdout
            if inst["libdir"] not in ldd:
                fail("the consumer did not load the installed libclonekit.so:\n" + ldd)
    print("consumer: built with pkg-config against libclonekit.so and libclonekit.a, both ran")


# ---- man pages ----

def roff_sections(text):
    sections, cur = {}, None
    for line in text.splitlines():
        m = re.match(r'\.SH\s+"?([^"]*)"?\s*$', line)
        if m:
            cur = m.group(1).strip()
            sections[cur] = []
        elif cur:
            sections[cur].append(line)
    return {k: "\n".join(v) for k, v in sections.items()}


def page_names(name_section):
    text = re.sub(r"\\f[BIRP]", "", name_section.replace("\n", " "))
    return [n.strip() for n in text.split("\\-", 1)[0].split(",") if n.strip()]


def check_man(inst, api):
    man3 = os.path.join(inst["mandir"], "man3")
    man1 = os.path.join(inst["mandir"], "man1")
    installed3 = {f[:-2] for f in os.listdir(man3) if f.endswith(".3")}
    installed1 = {f[:-2] for f in os.listdir(man1) if f.endswith(".1")} if os.path.isdir(man1) else set()
    overview = {"libclonekit"}
    for extra in sorted(installed3 - set(api) - overview):
        fail("man3/%s.3 is installed, but %s is not an exported function" % (extra, extra))
    real, documented = {}, {}
    for name in sorted(installed3):
        text = open(os.path.join(man3, name + ".3")).read()
        m = re.fullmatch(r"\.so man3/([\w.]+)\.3\n", text)
        if m:
            if m.group(1) not in installed3:
                fail("man3/%s.3 points to man3/%s.3, which is not installed" % (name, m.group(1)))
            continue
        real[name] = text
    for name, text in sorted(real.items()):
        where = "man3/%s.3" % name
        th = re.search(r'^\.TH (\S+) 3 (\S+) "clonekit ([^"]*)" "Library Functions Manual"$', text, re.M)
        if not th or th.group(1) != name.upper():
            fail("%s: no '.TH %s 3 DATE \"clonekit VERSION\" \"Library Functions Manual\"' line" % (where, name.upper()))
        elif th.group(3) != inst["version"]:
            fail("%s: says clonekit %s, the project is %s" % (where, th.group(3), inst["version"]))
        sec = roff_sections(text)
        need = ["NAME", "SEE ALSO"]
        if name not in overview:
            need = ["NAME", "SYNOPSIS", "DESCRIPTION", "RETURN VALUE", "ERRORS", "SEE ALSO"]
        for s in need:
            if s not in sec:
                fail("%s: no %s section" % (where, s))
        if "NAME" not in sec:
            continue
        names = page_names(sec["NAME"])
        if name not in overview and name not in names:
            fail("%s: its NAME section does not list %s" % (where, name))
        for fn in names:
            if name in overview:
                break
            if fn not in api:
                fail("%s names %s, which is not an exported function" % (where, fn))
                continue
            documented.setdefault(fn, []).append(name)
            if not re.search(r"\b%s\(" % fn, sec.get("SYNOPSIS", "")):
                fail("%s: no synopsis for %s" % (where, fn))
            if not re.search(r"\b%s\b" % fn, sec.get("DESCRIPTION", "")):
                fail("%s: %s is not described in its DESCRIPTION" % (where, fn))
        for ref, num in re.findall(r"^\.BR (\S+) \((\d)\)", sec.get("SEE ALSO", ""), re.M):
            if (ref.startswith("ck_") or ref.startswith("libclonekit")) and ref not in (installed3 if num == "3" else installed1):
                fail("%s: SEE ALSO %s(%s), which is not installed" % (where, ref, num))
    for fn in sorted(api):
        pages = documented.get(fn, [])
        if len(pages) != 1:
            fail("%s is documented on %d pages (%s); it needs exactly one" % (fn, len(pages), ", ".join(pages)))
        elif fn != pages[0]:
            alias = os.path.join(man3, fn + ".3")
            if not os.path.exists(alias) or open(alias).read() != ".so man3/%s.3\n" % pages[0]:
                fail("man3/%s.3 should be the alias '.so man3/%s.3'" % (fn, pages[0]))
    # Rendering: groff on every real page, then man(1) itself on every name.
    for path in sorted([os.path.join(man3, n + ".3") for n in real] +
                       [os.path.join(man1, n + ".1") for n in installed1]):
        r = run(["groff", "-ww", "-z", "-man", "-Tutf8", path], check=False)
        if r.returncode != 0 or r.stderr:
            fail("groff -ww -z -man %s:\n%s" % (path, r.stderr))
    env = dict(os.environ, MANPAGER="cat", PAGER="cat", MANWIDTH="80", LC_ALL="C.UTF-8")
    env.pop("MANPATH", None)
    for fn in sorted(api):
        r = run(["man", "--warnings=w", "-M", inst["mandir"], "3", fn], env=env, check=False)
        if r.returncode != 0 or r.stderr or fn not in r.stdout:
            fail("man -M %s 3 %s: exit %d\n%s" % (inst["mandir"], fn, r.returncode, r.stderr))
    print("man: %d pages and %d aliases; man renders each of the %d functions without a warning"
          % (len(real), len(installed3) - len(real), len(api)))


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: check_install.py BUILDDIR CONSUMER.c")
    inst = install(sys.argv[1])
    api = declared_api(inst["include"])
    watcher = have_watcher(inst)
    print("installed into %s (watcher %s)" % (inst["destdir"], "built in" if watcher else "not built in"))
    check_exports(inst, api)
    check_internals(inst, api)
    check_headers(inst, watcher)
    check_linkage(inst, watcher)
    check_version(inst)
    check_consumer(inst, sys.argv[2], watcher)
    check_man(inst, api)
    if failures:
        print("%d failures" % len(failures))
        sys.exit(1)
    print("everything installed holds")


main()
