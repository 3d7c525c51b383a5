/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Waits to be killed (test_kacs_tasks builds it PIE and non-PIE, to exec-check both). */
#include <unistd.h>

int main(void)
{
	for (;;)
		pause();
}
