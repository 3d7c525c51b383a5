/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The event model: classification and strace's text, pure logic. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <string.h>

#include <clonekit/event.h>
#include <clonekit/flags.h>

static const char *text(const struct ck_event *e)
{
	static char buf[1024];
	cr_assert_lt(ck_event_format_strace(e, buf, sizeof(buf)), (int)sizeof(buf));
	return buf;
}

Test(event, seed_000_fork_line_prints_as_strace_printed_it)
{
	struct ck_event e;
	ck_event_init(&e);
	e.call = CK_CALL_CLONE;
	e.flags = 0x1200011;
	e.child_tid = 0x7fb2a1c7da10;
	e.has_result = true;
	e.result = 14982;
	cr_assert_str_eq(text(&e), "clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7fb2a1c7da10) = 14982");
	ck_event_classify(&e);
	cr_assert_eq(e.kinds, CK_EVENT_PROCESS);
}

Test(event, pthread_create_clone3_prints_as_strace_prints_it)
{
	struct ck_event e;
	ck_event_init(&e);
	e.call = CK_CALL_CLONE3;
	e.has_args = true;
	e.args_size = 88;
	e.args.flags = 0x3d0f00;
	e.args.child_tid = 0x7f5d3b1fe990;
	e.args.parent_tid = 0x7f5d3b1fe990;
	e.args.stack = 0x7f5d3a9fe000;
	e.args.stack_size = 0x7ff880;
	e.args.tls = 0x7f5d3b1fe6c0;
	e.has_result = true;
	e.result = 4242;
	cr_assert_str_eq(text(&e),
			 "clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, "
			 "child_tid=0x7f5d3b1fe990, parent_tid=0x7f5d3b1fe990, exit_signal=0, stack=0x7f5d3a9fe000, stack_size=0x7ff880, tls=0x7f5d3b1fe6c0} => {parent_tid=[4242]}, 88) = 4242");
	ck_event_classify(&e);
	cr_assert_eq(e.kinds, CK_EVENT_THREAD);
}

Test(event, failed_unshare_and_setns_and_vfork)
{
	struct ck_event e;
	ck_event_init(&e);
	e.call = CK_CALL_UNSHARE;
	e.flags = CK_CLONE_NEWUSER | CK_CLONE_NEWNET;
	e.has_result = true;
	e.result = -EPERM;
	cr_assert_str_eq(text(&e), "unshare(CLONE_NEWUSER|CLONE_NEWNET) = -1 EPERM (Operation not permitted)");
	ck_event_classify(&e);
	cr_assert_eq(e.kinds, CK_EVENT_NS_CREATE);

	ck_event_init(&e);
	e.call = CK_CALL_SETNS;
	e.fd = 3;
	e.flags = CK_CLONE_NEWNET;
	e.has_result = true;
	cr_assert_str_eq(text(&e), "setns(3, CLONE_NEWNET) = 0");
	ck_event_classify(&e);
	cr_assert_eq(e.kinds, CK_EVENT_NS_ENTER);

	ck_event_init(&e);
	e.call = CK_CALL_VFORK;
	e.has_result = true;
	e.result = 77;
	cr_assert_str_eq(text(&e), "vfork() = 77");
	ck_event_classify(&e);
	cr_assert_eq(e.kinds, CK_EVENT_PROCESS | CK_EVENT_SPAWN);
}

/* Found by fuzz/fuzz_json.c: -result was cut to an int (-4294967297 read as EPERM) and overflowed for INT64_MIN. */
Test(event, a_result_past_the_errnos_is_a_number_not_a_truncated_errno)
{
	struct ck_event e;
	char json[4096];

	ck_event_init(&e);
	e.call = CK_CALL_UNSHARE;
	e.flags = CK_CLONE_NEWUSER;
	e.has_result = true;
	e.result = -4294967297; /* -(2^32 + 1): its low 32 bits read 1, EPERM */
	cr_assert_str_eq(text(&e), "unshare(CLONE_NEWUSER) = -4294967297");
	cr_assert_gt(ck_event_format_json(&e, json, sizeof(json)), 0);
	cr_assert(strstr(json, "\"result\":-4294967297,\"error\":\"E?\""), "%s", json);
	e.result = INT64_MIN;
	cr_assert_str_eq(text(&e), "unshare(CLONE_NEWUSER) = -9223372036854775808");
	cr_assert_gt(ck_event_format_json(&e, json, sizeof(json)), 0);
	cr_assert(strstr(json, "\"error\":\"E?\""), "%s", json);
	e.result = -4095; /* the largest errno the kernel returns, unnamed */
	cr_assert_str_eq(text(&e), "unshare(CLONE_NEWUSER) = -1 E? (Unknown error 4095)");
}

Test(event, clone_with_parent_settid_shows_the_tid_stored)
{
	struct ck_event e;
	ck_event_init(&e);
	e.call = CK_CALL_CLONE;
	e.flags = CK_CLONE_VM | CK_CLONE_PARENT_SETTID | CK_CLONE_NEWPID | SIGCHLD;
	e.stack = 0x7ffd1000;
	e.parent_tid = 0x601040;
	e.has_result = true;
	e.result = 99;
	cr_assert_str_eq(text(&e), "clone(child_stack=0x7ffd1000, flags=CLONE_VM|CLONE_PARENT_SETTID|CLONE_NEWPID|SIGCHLD, parent_tid=[99]) = 99");
	ck_event_classify(&e);
	cr_assert_eq(e.kinds, CK_EVENT_PROCESS | CK_EVENT_NS_CREATE);
}

Test(event, json_carries_the_decoded_call)
{
	struct ck_event e;
	char buf[4096];
	ck_event_init(&e);
	e.call = CK_CALL_CLONE;
	e.flags = CK_CLONE_FILES | SIGCHLD;
	e.pid = 10;
	strcpy(e.comm, "a\"b");
	e.has_result = true;
	e.result = 11;
	ck_event_classify(&e);
	cr_assert_gt(ck_event_format_json(&e, buf, sizeof(buf)), 0);
	cr_assert(strstr(buf, "\"syscall\":\"clone\""), "%s", buf);
	cr_assert(strstr(buf, "\"flag_names\":[\"CLONE_FILES\"]"), "%s", buf);
	cr_assert(strstr(buf, "\"comm\":\"a\\\"b\""), "%s", buf);
	cr_assert(strstr(buf, "\"exit_signal_name\":\"SIGCHLD\""), "%s", buf);
	cr_assert(strstr(buf, "\"kinds\":[\"process\"]"), "%s", buf);
	cr_assert(strstr(buf, "\"error\":null"), "%s", buf);
}

/* What the process chose (comm, exe) arrives whole: JSON escapes, and bytes that are not UTF-8 in *_hex. */
Test(event, json_keeps_a_hostile_comm_and_exe_on_one_valid_line)
{
	struct ck_event e;
	char buf[4096];
	ck_event_init(&e);
	e.call = CK_CALL_UNSHARE;
	e.flags = CK_CLONE_NEWUSER;
	memcpy(e.comm, "x\nALERT \xff", 10);
	strcpy(e.exe, "/tmp/bad\xff\xfe\"\\");
	e.has_result = true;
	ck_event_classify(&e);
	int n = ck_event_format_json(&e, buf, sizeof(buf));
	cr_assert_eq(n, (int)strlen(buf));
	cr_assert_null(strchr(buf, '\n'), "%s", buf);
	cr_assert(strstr(buf, "\"comm\":\"x\\nALERT \xef\xbf\xbd\",\"comm_hex\":\"780a414c45525420ff\","), "%s", buf);
	cr_assert(strstr(buf, "\"exe\":\"/tmp/bad\xef\xbf\xbd\xef\xbf\xbd\\\"\\\\\",\"exe_hex\":\"2f746d702f626164fffe225c\","),
		  "%s", buf);

	/* valid UTF-8, even with controls, is exact and has no hex field */
	strcpy(e.comm, "caf\xc3\xa9\t");
	strcpy(e.exe, "/usr/bin/\xe2\x82\xac");
	ck_event_format_json(&e, buf, sizeof(buf));
	cr_assert(strstr(buf, "\"comm\":\"caf\xc3\xa9\\t\",\"exe\":\"/usr/bin/\xe2\x82\xac\",\"exe_flags\":[],\"cgroup_id\""), "%s", buf);
	cr_assert_null(strstr(buf, "_hex"), "%s", buf);
}

/* clone3's struct is the caller's: every 64-bit value, exactly. */
Test(event, json_prints_every_64_bit_clone3_value_exactly)
{
	struct ck_event e;
	char buf[4096];
	ck_event_init(&e);
	e.call = CK_CALL_CLONE3;
	e.has_args = true;
	e.args_size = UINT64_MAX;
	e.args.exit_signal = UINT64_MAX;
	e.args.stack_size = UINT64_MAX - 1;
	e.args.set_tid_size = UINT64_MAX;
	e.args.cgroup = UINT64_MAX;
	e.cgroup_id = UINT64_MAX;
	e.time_ns = UINT64_MAX;
	ck_event_classify(&e);
	ck_event_format_json(&e, buf, sizeof(buf));
	cr_assert(strstr(buf, "\"time_ns\":18446744073709551615,"), "%s", buf);
	cr_assert(strstr(buf, "\"cgroup_id\":18446744073709551615,"), "%s", buf);
	cr_assert(strstr(buf, "\"exit_signal\":18446744073709551615,\"exit_signal_name\":\"?\","), "%s", buf);
	cr_assert(strstr(buf, "\"clone3\":{\"size\":18446744073709551615,\"stack\":\"0\",\"stack_size\":18446744073709551614,"
			      "\"tls\":\"0\",\"set_tid_size\":18446744073709551615,\"cgroup\":18446744073709551615}"),
		  "%s", buf);
}

Test(event, json_returns_the_length_needed_as_snprintf_does)
{
	struct ck_event e;
	char whole[4096], part[32];
	ck_event_init(&e);
	e.call = CK_CALL_FORK;
	ck_event_classify(&e);
	int n = ck_event_format_json(&e, whole, sizeof(whole));
	cr_assert_gt(n, (int)sizeof(part));
	memset(part, 'z', sizeof(part));
	cr_assert_eq(ck_event_format_json(&e, part, sizeof(part)), n);
	cr_assert_eq(strlen(part), sizeof(part) - 1);
	cr_assert_eq(strncmp(part, whole, sizeof(part) - 1), 0);
	cr_assert_eq(ck_event_format_json(&e, NULL, 0), n);
	cr_assert_eq(ck_event_format_json(NULL, part, sizeof(part)), -EINVAL);
}
