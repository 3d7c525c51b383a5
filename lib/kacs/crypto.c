/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libcrypto loaded on first use (why: kacs/crypto.h). */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

#include "internal/static_libc.h"
#include "kacs/crypto.h"

static struct ck__ossl table;
static const struct ck__ossl *loaded;
static char why[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
	/* RTLD_LOCAL: libcrypto's symbols stay out of the caller's global scope */
	void *h;
	const char *missing = NULL;

	if (ck__static_libc_check() < 0) {
		snprintf(why, sizeof(why), "%s", ck__static_libc_why());
		return;
	}
	if (!(h = dlopen(CK_LIBCRYPTO_SONAME, RTLD_NOW | RTLD_LOCAL))) {
		snprintf(why, sizeof(why), "%s", dlerror());
		return;
	}
#define CK__OSSL_LOAD(f)                                                                               \
	if (!missing && !(*(void **)&table.f = dlsym(h, #f)))                                          \
		missing = #f;
	CK__OSSL_FUNCTIONS(CK__OSSL_LOAD)
#undef CK__OSSL_LOAD
	if (missing) {
		snprintf(why, sizeof(why), "%s has no %s", CK_LIBCRYPTO_SONAME, missing);
		dlclose(h);
		return;
	}
	loaded = &table; /* the handle stays open for the process's life */
}

const struct ck__ossl *ck__ossl(void)
{
	pthread_once(&once, load);
	if (!loaded)
		errno = ELIBACC;
	return loaded;
}

const char *ck__ossl_error(void)
{
	return loaded ? "" : why;
}
