/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An initramfs for the test guests: an uncompressed cpio archive in the
 * kernel's "newc" format (Documentation/driver-api/early-userspace/
 * buffer-format.rst), written as entries are added. Missing parent
 * directories are added before an entry, since the kernel creates nothing it
 * was not given.
 */
#ifndef CK_TEST_VM_INITRAMFS_H
#define CK_TEST_VM_INITRAMFS_H

#include <stddef.h>
#include <sys/types.h>

struct initramfs {
	int fd;
	unsigned next_ino;
	char **dirs; /* added so far */
	size_t ndirs;
	char why[512]; /* what failed, for the test's message */
};

/* Each returns 0 or -errno, and says in f->why what failed. */
int initramfs_create(struct initramfs *f, const char *path);
int initramfs_add_dir(struct initramfs *f, const char *guest_path);
int initramfs_add_char_device(struct initramfs *f, const char *guest_path, unsigned major, unsigned minor);
/* The host file's bytes (symbolic links followed) at guest_path, with mode's permission bits. */
int initramfs_add_file(struct initramfs *f, const char *guest_path, const char *host_path, mode_t mode);
/*
 * A program and every shared library ldd names for it, each at the path ldd
 * gives (the dynamic loader's included); a static program adds no library.
 */
int initramfs_add_program(struct initramfs *f, const char *guest_path, const char *host_path);
/* Writes the trailer and closes the archive; everything is released whatever the result. */
int initramfs_finish(struct initramfs *f);

#endif
