#!/usr/bin/env python3
"""make fuzz-coverage: the line coverage of each fuzz target's parsers by its
corpus in the tree (fuzz/corpus/T), measured with llvm-cov on the replay.

usage: fuzz_coverage.py BUILD [TARGET...]
BUILD is a clang build with -fprofile-instr-generate -fcoverage-mapping
(the Makefile's fuzz-coverage sets one up); each replay_T is built there,
run over fuzz/corpus/T, and llvm-cov counts the lines of the functions below.
"""
import os
import re
import subprocess
import sys

# The parsers each target is there to cover: source file -> functions ('*': every one).
PARSERS = {
    'flags': {'lib/flags.c': ['ck_flags_parse', 'ck_flags_format', 'parse_fail', 'suggest', 'next_token',
                              'signal_token', 'named_signal', 'strace_names', 'flag_by_name_n'],
              'lib/internal/util.c': ['ck__parse_u64n']},
    'signal': {'lib/flags.c': ['ck_signal_parse', 'ck_signal_name', 'signal_parse_n',
                               'parse_small_decimal', 'ck_syscall_parse']},
    'kernel_version': {'lib/flags.c': ['read_release', 'ck_kernel_version_parse',
                                       'ck_kernel_version_format', 'same_branch', 'last_release_field',
                                       'highest_release_in', 'ck_kernel_version_upstream']},
    'errno': {'lib/validate.c': ['ck_errno_name', 'ck__errno_parse']},
    'check_line': {'cli/check.c': ['check_line_read', 'line_end']},
    'cli_values': {'cli/value.c': ['*'],
                   'cli/attr.c': ['parse_namespaces', 'parse_share', 'parse_map', 'parse_offset',
                                  'attr_opts_apply'],
                   'cli/call.c': ['call_opts_apply'],
                   'lib/internal/util.c': ['ck__parse_u64n']},
    'getopt': {'cli/opt.c': ['*']},
    'names': {'lib/flags.c': ['ck_flag_by_name', 'flag_by_name_n'],
              'lib/abi.c': ['ck_arch_by_name', 'ck_nr_parse', 'name_is'],
              'lib/event.c': ['ck_event_call_parse'],
              'lib/seccomp.c': ['ck_seccomp_action_parse'],
              'lib/detect.c': ['ck_priority_parse'],
              'lib/probe.c': ['ck_probe_feature_by_name']},
    'rules': {'lib/detect/lexer.c': ['*'], 'lib/detect/parser.c': ['*'], 'lib/detect/flatten.c': ['*'],
              'lib/detect/evaluate.c': ['*'], 'lib/detect/rate.c': ['*'], 'lib/detect/message.c': ['*'],
              'lib/detect.c': ['ck_detect_add_rules', 'ck_detect_add_file', 'ck_detect_feed'],
              'lib/internal/escape.c': ['*']},
    'json': {'lib/internal/json.c': ['*'],
             'lib/event.c': ['json_ns', 'ck__event_json', 'ck_event_format_json']},
    'kacs_token': {'lib/kacs/token_wire.c': ['*']},
    'kacs_elf': {'lib/kacs/pip_elf.c': ['*'],
                 'lib/kacs/pip.c': ['ck__pip_verify', 'blob_from_elf', 'blob_from_xattr', 'verify_blob',
                                    'hash_file', 'fd_read', 'find_sig']},
    'kacs_sid': {'lib/kacs/sid.c': ['*']},
    'kacs_sd': {'lib/kacs/sd.c': ['ck_kacs_sd_parse', 'sd_parse', 'read_sid_component', 'read_acl_component',
                                  'component_offset', 'acl_read', 'ace_read', 'ck__kacs_ace_check',
                                  'type_refusal', 'ck_kacs_acl_parse'],
                'lib/kacs/sid.c': ['ck__kacs_sid_read_at']},
    'kacs_sddl': {'lib/kacs/sddl.c': ['*'],
                  'lib/kacs/rights.c': ['ck_kacs_rights_parse', 'parse_right', 'find_name', 'ck_kacs_rights_format']},
}

LLVM = os.environ.get('LLVM_SUFFIX', '-14')


def run(*args, **kw):
    return subprocess.run(args, check=True, **kw)


def function_lines(build, binary, profdata, source):
    """{function: (lines, missed)} for one source file, from llvm-cov report."""
    # the build records sources as BUILD/../lib/flags.c, which llvm-cov matches only once remapped
    src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run(['llvm-cov' + LLVM, 'report', binary, '-instr-profile=' + profdata,
                          '-show-functions', '-path-equivalence=' + os.path.join(build, os.path.relpath(src, build)) + ',' + src,
                          source],
                         check=True, capture_output=True, text=True).stdout
    found = {}
    for line in out.splitlines():
        cols = line.split()
        # Name Regions Miss Cover Lines Miss Cover [Branches Miss Cover]
        if len(cols) >= 7 and re.fullmatch(r'\d+', cols[1] or '') and cols[3].endswith('%'):
            name = cols[0].split(':')[-1]   # static functions read "file.c:name"
            found[name] = (int(cols[4]), int(cols[5]))
    return found


def main():
    build = os.path.abspath(sys.argv[1])
    src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    targets = sys.argv[2:] or [t for t in PARSERS if os.path.isdir(os.path.join(src, 'fuzz', 'corpus', t))]
    outdir = os.path.join(build, 'fuzz-coverage')
    os.makedirs(outdir, exist_ok=True)
    for t in targets:
        run('ninja', '-C', build, 'fuzz/replay_' + t, stdout=subprocess.DEVNULL)
        binary = os.path.join(build, 'fuzz', 'replay_' + t)
        raw = os.path.join(outdir, t + '.profraw')
        prof = os.path.join(outdir, t + '.profdata')
        env = dict(os.environ, LLVM_PROFILE_FILE=raw)
        run(binary, os.path.join(src, 'fuzz', 'corpus', t), env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        run('llvm-profdata' + LLVM, 'merge', '-sparse', raw, '-o', prof)
        total = missed = 0
        gaps = []
        for source, wanted in PARSERS.get(t, {}).items():
            lines = function_lines(build, binary, prof, os.path.join(src, source))
            names = sorted(n for n in lines if n != 'TOTAL') if wanted == ['*'] else wanted
            for name in names:
                if name not in lines:
                    sys.exit(f'fuzz coverage {t}: no function {name} in {source}')
                n, m = lines[name]
                total += n
                missed += m
                if m:
                    gaps.append(f'{name} {m}')
        ncorpus = len(os.listdir(os.path.join(src, 'fuzz', 'corpus', t)))
        pct = 100.0 * (total - missed) / total if total else 0.0
        print(f'fuzz coverage {t}: {total - missed} of {total} lines ({pct:.1f}%) of its parsers '
              f'by {ncorpus} inputs' + (f'; lines missed: {", ".join(gaps)}' if gaps else ''))


if __name__ == '__main__':
    main()
