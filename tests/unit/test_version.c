/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ck_version(): the shared library a consumer loads reports the version of
 * the headers it was built with, and the version Meson's project() gives.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include <clonekit/clonekit.h>

Test(version, the_loaded_library_reports_the_headers_version)
{
	char text[64];

	cr_assert_str_eq(ck_version(), CK_VERSION_STRING);
	cr_assert_eq(ck_version_number(), CK_VERSION);
	cr_assert_eq(CK_VERSION, CK_VERSION_NUMBER(CK_VERSION_MAJOR, CK_VERSION_MINOR, CK_VERSION_PATCH));
	snprintf(text, sizeof(text), "%d.%d.%d", CK_VERSION_MAJOR, CK_VERSION_MINOR, CK_VERSION_PATCH);
	cr_assert_str_eq(ck_version(), text);
}

Test(version, is_the_version_meson_builds)
{
	const char *project = getenv("CK_PROJECT_VERSION");

	cr_assert_not_null(project, "CK_PROJECT_VERSION is not set (tests/meson.build sets it)");
	cr_assert_str_eq(ck_version(), project);
}

Test(version, numbers_order_as_versions_do)
{
	cr_assert_eq(CK_VERSION_NUMBER(0, 1, 0), 1000u);
	cr_assert_eq(CK_VERSION_NUMBER(1, 2, 3), 1002003u);
	cr_assert_lt(CK_VERSION_NUMBER(0, 9, 999), CK_VERSION_NUMBER(0, 10, 0));
	cr_assert_lt(CK_VERSION_NUMBER(0, 999, 999), CK_VERSION_NUMBER(1, 0, 0));
	cr_assert_lt(CK_VERSION_NUMBER(4, 294, 967), CK_VERSION_NUMBER(4, 294, 968));
}
