#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The oracle for clonekit's JSON output, independent of the writer.

    json_lines.py [PATH...] < OUTPUT

Reads standard input as bytes. Every non-empty line must be strict UTF-8
(no overlong forms, no surrogates) and one RFC 8259 JSON object: no NaN or
Infinity, no lone surrogate escapes, no duplicate keys. Exits 1 naming the
first line that is not.

For each dotted PATH (e.g. "exe", "alert.event.comm", "invalid"), prints
"LINE PATH HEX" for every line where it is a string: the original bytes,
recovered by the rule of docs/event-schema.md -- PATH_hex when present (and
then PATH must be those bytes decoded with U+FFFD replacement), else PATH in
UTF-8. Where it is another value, "LINE PATH =JSON" (e.g. "3 pid =4242").
"""
import json
import sys


def fail(lineno, why, line):
    sys.stderr.write("line %d: %s\n%r\n" % (lineno, why, line))
    sys.exit(1)


def no_constants(name):
    raise ValueError("%s is not JSON (RFC 8259)" % name)


def unique_keys(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate key in %r" % keys)
    return dict(pairs)


def strings_of(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from strings_of(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings_of(v)


def lookup(doc, path):
    *parents, key = path.split(".")
    for p in parents:
        if not isinstance(doc, dict) or p not in doc:
            return None, None
        doc = doc[p]
    if not isinstance(doc, dict) or key not in doc:
        return None, None
    return doc, key


def main():
    paths = sys.argv[1:]
    for lineno, line in enumerate(sys.stdin.buffer.read().split(b"\n"), 1):
        if not line.strip():
            continue
        try:
            text = line.decode("utf-8")  # strict: what a UTF-8 consumer accepts
            doc = json.loads(text, parse_constant=no_constants, object_pairs_hook=unique_keys)
        except ValueError as e:
            fail(lineno, str(e), line)
        if not isinstance(doc, dict):
            fail(lineno, "not a JSON object", line)
        for s in strings_of(doc):
            try:
                s.encode("utf-8")  # a lone surrogate escape ("\udcff") fails here
            except UnicodeEncodeError as e:
                fail(lineno, "a string that is not Unicode text: %s" % e, line)
        for path in paths:
            obj, key = lookup(doc, path)
            if obj is None:
                continue
            if not isinstance(obj[key], str):
                print(lineno, path, "=" + json.dumps(obj[key]))
                continue
            if key + "_hex" in obj:
                raw = bytes.fromhex(obj[key + "_hex"])
                if obj[key] != raw.decode("utf-8", "replace"):
                    fail(lineno, "%s is not %s_hex decoded with U+FFFD" % (path, path), line)
                try:
                    raw.decode("utf-8")
                    fail(lineno, "%s_hex given for bytes that are valid UTF-8" % path, line)
                except UnicodeDecodeError:
                    pass
            else:
                raw = obj[key].encode("utf-8")
            print(lineno, path, raw.hex())


main()
