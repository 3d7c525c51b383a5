/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A statically linked clonekit still loads shared objects: libcrypto for PIP
 * (lib/kacs/crypto.c) and glibc's NSS modules behind getpwuid. glibc loads
 * them with the system's libc.so.6 and ld.so beside the static libc, and its
 * static dlopen writes into that ld.so's private structures with its own
 * layout: that is safe only when the installed libc.so.6 is the very build
 * the executable was linked with. A static executable names that build by
 * defining ck__static_libc; nothing else defines it.
 */
#ifndef CK_INTERNAL_STATIC_LIBC_H
#define CK_INTERNAL_STATIC_LIBC_H

#include <stddef.h>

struct ck__static_libc {
	const char *path;     /* the libc.so.6 the executable was linked beside */
	const char *build_id; /* its NT_GNU_BUILD_ID, in lower-case hex */
};

/*
 * Defined only by a static executable (meson -Dstatic_cli, cli/static_libc.c.in);
 * hidden, so that libclonekit.so resolves it to nothing at link time.
 */
extern const struct ck__static_libc ck__static_libc __attribute__((weak, visibility("hidden")));

/*
 * 0 when shared objects may be loaded into this process: it is not a static
 * clonekit, or the installed libc.so.6 is the build it was linked with.
 * Otherwise -ELIBACC, with why (both builds named) in the buffer ck__static_libc_why()
 * returns. Thread-safe; the answer is computed once.
 */
int ck__static_libc_check(void);
const char *ck__static_libc_why(void);

/* The build ID of the ELF file at path, in lower-case hex: 0 or -errno (-ENOEXEC: no build ID). */
int ck__elf_build_id(const char *path, char *hex, size_t len);

#endif
