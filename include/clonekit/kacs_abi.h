/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * clonekit kacs_abi: the Peios token and process ABI of KACS v0.20 as a
 * program calls it (K20 13-appendix-a/1-syscalls.md, 2-ioctls.md,
 * 6-abi-reference.md): the syscall numbers 1000-1027 of x86_64, the
 * token-handle ioctls with their exact request numbers, their argument
 * structs byte for byte, and the query classes. `clonekit kacs run`
 * implements them on stock Linux (design KACS-SUPERVISOR.md §5, §6); a
 * program built against this header runs unchanged on Peios.
 *
 * Every pointer in these structs is a u64 (the address in the caller), and
 * every u64 is 8-aligned on every ABI, as the kernel's uapi has it. Layouts
 * are checked at compile time below.
 */
#ifndef CLONEKIT_KACS_ABI_H
#define CLONEKIT_KACS_ABI_H

#include <stddef.h>
#include <stdint.h>
#include <linux/ioctl.h>

#include <clonekit/kacs.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Syscalls (K20 6-abi-reference.md §1: x86_64 only) -------------------- */

#define CK_KACS_NR_OPEN_SELF_TOKEN         1000 /* (unsigned flags, u32 access_mask) -> token fd */
#define CK_KACS_NR_OPEN_PROCESS_TOKEN      1001 /* (int pidfd, u32 access_mask) -> token fd */
#define CK_KACS_NR_OPEN_THREAD_TOKEN       1002 /* (int pidfd, int tid, u32 access_mask) -> token fd */
#define CK_KACS_NR_CREATE_TOKEN            1003 /* (const void *spec, size_t len) -> token fd */
#define CK_KACS_NR_CREATE_SESSION          1004 /* (const void *spec, size_t len) -> session id */
#define CK_KACS_NR_SET_PSB                 1005 /* (int pidfd or -1, u32 mitigations) -> 0 */
#define CK_KACS_NR_DESTROY_EMPTY_SESSION   1006 /* (u64 session_id) -> 0 */
#define CK_KACS_NR_OPEN_PEER_TOKEN         1010 /* (int conn_fd) -> token fd */
#define CK_KACS_NR_IMPERSONATE_PEER        1011 /* (int conn_fd) -> 0 */
#define CK_KACS_NR_REVERT                  1012 /* (void) -> 0 */
#define CK_KACS_NR_SET_IMPERSONATION_LEVEL 1013 /* (int sock_fd, u32 level) -> 0 */
#define CK_KACS_NR_OPEN                    1020 /* (dirfd, path, how, howsize, status_out) -> fd */
#define CK_KACS_NR_GET_SD                  1021 /* (dirfd, path, u32 secinfo, void *buf, u32 len, u32 flags) -> SD size */
#define CK_KACS_NR_SET_SD                  1022 /* (dirfd, path, u32 secinfo, const void *sd, u32 len, u32 flags) -> 0 */
#define CK_KACS_NR_ACCESS_CHECK            1023
#define CK_KACS_NR_ACCESS_CHECK_LIST       1024
#define CK_KACS_NR_SET_CAAP                1025
#define CK_KACS_NR_GET_MOUNT_POLICY        1026
#define CK_KACS_NR_SET_MOUNT_POLICY        1027
#define CK_KACS_NR_FIRST                   1000
#define CK_KACS_NR_LAST                    1027

/* kacs_open_self_token flags: the primary token even while impersonating. */
#define CK_KACS_REAL_TOKEN 0x01u

/* ---- Token-handle ioctls (K20 6-abi-reference.md §2, §4) ------------------ */

#define CK_KACS_IOC_MAGIC 'K'

struct ck_kacs_query_args {
	uint32_t token_class; /* CK_KACS_TOKEN_CLASS_* */
	uint32_t buf_len;     /* in: the buffer's size; out: the payload's size (needed, or written) */
	uint64_t buf_ptr __attribute__((aligned(8))); /* 0: a size query; must not overlap this struct */
};

/* kacs_priv_entry is struct ck_kacs_priv_entry of kacs.h (luid, attributes: 8 bytes). */
struct ck_kacs_adjust_privs_args {
	uint32_t count;    /* 1..64 entries */
	uint32_t _pad;     /* must be 0 */
	uint64_t data_ptr __attribute__((aligned(8)));         /* struct ck_kacs_priv_entry[count] */
	uint64_t previous_enabled __attribute__((aligned(8))); /* out: the enabled mask before */
};

struct ck_kacs_duplicate_args {
	uint32_t access_mask;         /* for the new handle, checked against the new token's SD */
	uint32_t token_type;          /* 1 Primary, 2 Impersonation */
	uint32_t impersonation_level; /* 0..3 */
	int32_t result_fd;            /* out */
};

/* KACS_IOC_RESTRICT's kacs_restrict_args (ck_kacs_restrict_args of kacs.h is the model's request, with pointers). */
struct ck_kacs_abi_restrict_args {
	uint64_t privs_to_delete __attribute__((aligned(8)));
	uint32_t num_deny_indices;
	uint32_t num_restrict_sids;
	uint32_t data_len;           /* exactly the indices and the SIDs, at most 65536 */
	uint32_t flags;              /* CK_KACS_RESTRICT_WRITE_RESTRICTED */
	uint64_t data_ptr __attribute__((aligned(8))); /* u32 deny indices, then the SIDs packed */
	int32_t result_fd;           /* out */
	uint32_t _pad;               /* the implicit padding of K20, spelled out */
};

struct ck_kacs_link_tokens_args {
	int32_t elevated_fd;
	int32_t filtered_fd;
	uint64_t session_id __attribute__((aligned(8)));
};

struct ck_kacs_get_linked_token_args {
	int32_t result_fd; /* out */
};

/* kacs_group_entry is struct ck_kacs_group_entry of kacs.h (index, enable: 8 bytes). */
struct ck_kacs_adjust_groups_args {
	uint32_t count; /* 1..64 entries */
	uint32_t _pad;  /* must be 0 */
	uint64_t data_ptr __attribute__((aligned(8)));       /* struct ck_kacs_group_entry[count] */
	uint64_t previous_state __attribute__((aligned(8))); /* out: bit i = group i was enabled */
};

/*
 * PKM's encoding of the same ioctl (uapi/pkm/token.h: up to 1024 groups, the
 * previous state as 16 words): a distinct request number, also accepted
 * (design §16). Only previous_state[0] can be nonzero here (64 groups).
 */
#define CK_KACS_PKM_GROUP_MASK_WORDS 16
struct ck_kacs_adjust_groups_args_pkm {
	uint32_t count;
	uint32_t _pad;
	uint64_t data_ptr __attribute__((aligned(8)));
	uint64_t previous_state[CK_KACS_PKM_GROUP_MASK_WORDS] __attribute__((aligned(8)));
};

struct ck_kacs_adjust_default_args {
	uint64_t dacl_ptr __attribute__((aligned(8))); /* 0 with dacl_len 0: no change; with dacl_len 0: no default DACL */
	uint32_t dacl_len;    /* at most 65536 */
	uint16_t owner_index; /* CK_KACS_INDEX_NO_CHANGE (0xFFFF) to keep */
	uint16_t group_index; /* likewise */
};

#define CK_KACS_IOC_QUERY            _IOWR(CK_KACS_IOC_MAGIC, 0, struct ck_kacs_query_args)
#define CK_KACS_IOC_ADJUST_PRIVS     _IOW(CK_KACS_IOC_MAGIC, 1, struct ck_kacs_adjust_privs_args)
#define CK_KACS_IOC_DUPLICATE        _IOWR(CK_KACS_IOC_MAGIC, 2, struct ck_kacs_duplicate_args)
#define CK_KACS_IOC_INSTALL          _IO(CK_KACS_IOC_MAGIC, 3)
#define CK_KACS_IOC_RESTRICT         _IOWR(CK_KACS_IOC_MAGIC, 4, struct ck_kacs_abi_restrict_args)
#define CK_KACS_IOC_LINK_TOKENS      _IOW(CK_KACS_IOC_MAGIC, 5, struct ck_kacs_link_tokens_args)
#define CK_KACS_IOC_GET_LINKED_TOKEN _IOWR(CK_KACS_IOC_MAGIC, 6, struct ck_kacs_get_linked_token_args)
#define CK_KACS_IOC_ADJUST_GROUPS    _IOW(CK_KACS_IOC_MAGIC, 7, struct ck_kacs_adjust_groups_args)
#define CK_KACS_IOC_ADJUST_GROUPS_PKM _IOW(CK_KACS_IOC_MAGIC, 7, struct ck_kacs_adjust_groups_args_pkm)
#define CK_KACS_IOC_IMPERSONATE      _IO(CK_KACS_IOC_MAGIC, 8)
#define CK_KACS_IOC_ADJUST_DEFAULT   _IOW(CK_KACS_IOC_MAGIC, 9, struct ck_kacs_adjust_default_args)
#define CK_KACS_IOC_ADJUST_SESSIONID _IOW(CK_KACS_IOC_MAGIC, 10, uint32_t)

/* ---- Query classes (K20 6-abi-reference.md §3) ----------------------------- */

#define CK_KACS_TOKEN_CLASS_USER                          0x01u
#define CK_KACS_TOKEN_CLASS_GROUPS                        0x02u
#define CK_KACS_TOKEN_CLASS_PRIVILEGES                    0x03u
#define CK_KACS_TOKEN_CLASS_TYPE                          0x04u
#define CK_KACS_TOKEN_CLASS_INTEGRITY_LEVEL               0x05u
#define CK_KACS_TOKEN_CLASS_OWNER                         0x06u
#define CK_KACS_TOKEN_CLASS_PRIMARY_GROUP                 0x07u
#define CK_KACS_TOKEN_CLASS_SESSION_ID                    0x08u
#define CK_KACS_TOKEN_CLASS_RESTRICTED_SIDS               0x09u
#define CK_KACS_TOKEN_CLASS_SOURCE                        0x0Au
#define CK_KACS_TOKEN_CLASS_STATISTICS                    0x0Bu
#define CK_KACS_TOKEN_CLASS_ORIGIN                        0x0Cu
#define CK_KACS_TOKEN_CLASS_ELEVATION_TYPE                0x0Du
#define CK_KACS_TOKEN_CLASS_DEVICE_GROUPS                 0x0Eu
#define CK_KACS_TOKEN_CLASS_APPCONTAINER_SID              0x0Fu
#define CK_KACS_TOKEN_CLASS_CAPABILITIES                  0x10u
#define CK_KACS_TOKEN_CLASS_MANDATORY_POLICY              0x11u
#define CK_KACS_TOKEN_CLASS_LOGON_TYPE                    0x12u
#define CK_KACS_TOKEN_CLASS_LOGON_SID                     0x13u
#define CK_KACS_TOKEN_CLASS_DEFAULT_DACL                  0x14u
#define CK_KACS_TOKEN_CLASS_IMPERSONATION_LEVEL           0x15u
#define CK_KACS_TOKEN_CLASS_USER_CLAIMS                   0x16u
#define CK_KACS_TOKEN_CLASS_DEVICE_CLAIMS                 0x17u
#define CK_KACS_TOKEN_CLASS_PROJECTED_SUPPLEMENTARY_GIDS  0x18u

/* TOKEN_CLASS_STATISTICS' payload (40 bytes, little-endian). */
struct ck_kacs_token_statistics {
	uint64_t token_id __attribute__((aligned(8)));
	uint64_t auth_id __attribute__((aligned(8)));
	uint64_t modified_id __attribute__((aligned(8)));
	uint32_t type;
	uint32_t _pad;
	uint64_t expiration __attribute__((aligned(8)));
};

/* TOKEN_CLASS_PRIVILEGES' payload (32 bytes). */
struct ck_kacs_token_privileges {
	uint64_t present __attribute__((aligned(8)));
	uint64_t enabled __attribute__((aligned(8)));
	uint64_t enabled_by_default __attribute__((aligned(8)));
	uint64_t used __attribute__((aligned(8)));
};

/* ---- The layouts, checked (K20 6-abi-reference.md §2, §4; design §5.2) ------ */

#if defined(__cplusplus)
#define CK__KACS_ABI_CHECK(name, cond) static_assert(cond, #name)
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define CK__KACS_ABI_CHECK(name, cond) _Static_assert(cond, #name)
#else
#define CK__KACS_ABI_CHECK(name, cond) typedef char ck__kacs_abi_##name[(cond) ? 1 : -1]
#endif

CK__KACS_ABI_CHECK(query_args_size, sizeof(struct ck_kacs_query_args) == 16);
CK__KACS_ABI_CHECK(query_args_buf_ptr, offsetof(struct ck_kacs_query_args, buf_ptr) == 8);
CK__KACS_ABI_CHECK(adjust_privs_args_size, sizeof(struct ck_kacs_adjust_privs_args) == 24);
CK__KACS_ABI_CHECK(adjust_privs_args_data_ptr, offsetof(struct ck_kacs_adjust_privs_args, data_ptr) == 8);
CK__KACS_ABI_CHECK(adjust_privs_args_prev, offsetof(struct ck_kacs_adjust_privs_args, previous_enabled) == 16);
CK__KACS_ABI_CHECK(priv_entry_size, sizeof(struct ck_kacs_priv_entry) == 8);
CK__KACS_ABI_CHECK(priv_entry_attributes, offsetof(struct ck_kacs_priv_entry, attributes) == 4);
CK__KACS_ABI_CHECK(duplicate_args_size, sizeof(struct ck_kacs_duplicate_args) == 16);
CK__KACS_ABI_CHECK(duplicate_args_result_fd, offsetof(struct ck_kacs_duplicate_args, result_fd) == 12);
CK__KACS_ABI_CHECK(restrict_args_size, sizeof(struct ck_kacs_abi_restrict_args) == 40);
CK__KACS_ABI_CHECK(restrict_args_data_len, offsetof(struct ck_kacs_abi_restrict_args, data_len) == 16);
CK__KACS_ABI_CHECK(restrict_args_flags, offsetof(struct ck_kacs_abi_restrict_args, flags) == 20);
CK__KACS_ABI_CHECK(restrict_args_data_ptr, offsetof(struct ck_kacs_abi_restrict_args, data_ptr) == 24);
CK__KACS_ABI_CHECK(restrict_args_result_fd, offsetof(struct ck_kacs_abi_restrict_args, result_fd) == 32);
CK__KACS_ABI_CHECK(link_tokens_args_size, sizeof(struct ck_kacs_link_tokens_args) == 16);
CK__KACS_ABI_CHECK(link_tokens_args_session, offsetof(struct ck_kacs_link_tokens_args, session_id) == 8);
CK__KACS_ABI_CHECK(get_linked_token_args_size, sizeof(struct ck_kacs_get_linked_token_args) == 4);
CK__KACS_ABI_CHECK(adjust_groups_args_size, sizeof(struct ck_kacs_adjust_groups_args) == 24);
CK__KACS_ABI_CHECK(adjust_groups_args_prev, offsetof(struct ck_kacs_adjust_groups_args, previous_state) == 16);
CK__KACS_ABI_CHECK(adjust_groups_args_pkm_size, sizeof(struct ck_kacs_adjust_groups_args_pkm) == 144);
CK__KACS_ABI_CHECK(group_entry_size, sizeof(struct ck_kacs_group_entry) == 8);
CK__KACS_ABI_CHECK(group_entry_enable, offsetof(struct ck_kacs_group_entry, enable) == 4);
CK__KACS_ABI_CHECK(adjust_default_args_size, sizeof(struct ck_kacs_adjust_default_args) == 16);
CK__KACS_ABI_CHECK(adjust_default_args_owner, offsetof(struct ck_kacs_adjust_default_args, owner_index) == 12);
CK__KACS_ABI_CHECK(adjust_default_args_group, offsetof(struct ck_kacs_adjust_default_args, group_index) == 14);
CK__KACS_ABI_CHECK(statistics_size, sizeof(struct ck_kacs_token_statistics) == 40);
CK__KACS_ABI_CHECK(statistics_type, offsetof(struct ck_kacs_token_statistics, type) == 24);
CK__KACS_ABI_CHECK(privileges_size, sizeof(struct ck_kacs_token_privileges) == 32);

/* The request numbers of design §5.2. */
CK__KACS_ABI_CHECK(ioc_query, CK_KACS_IOC_QUERY == 0xC0104B00u);
CK__KACS_ABI_CHECK(ioc_adjust_privs, CK_KACS_IOC_ADJUST_PRIVS == 0x40184B01u);
CK__KACS_ABI_CHECK(ioc_duplicate, CK_KACS_IOC_DUPLICATE == 0xC0104B02u);
CK__KACS_ABI_CHECK(ioc_install, CK_KACS_IOC_INSTALL == 0x00004B03u);
CK__KACS_ABI_CHECK(ioc_restrict, CK_KACS_IOC_RESTRICT == 0xC0284B04u);
CK__KACS_ABI_CHECK(ioc_link_tokens, CK_KACS_IOC_LINK_TOKENS == 0x40104B05u);
CK__KACS_ABI_CHECK(ioc_get_linked_token, CK_KACS_IOC_GET_LINKED_TOKEN == 0xC0044B06u);
CK__KACS_ABI_CHECK(ioc_adjust_groups, CK_KACS_IOC_ADJUST_GROUPS == 0x40184B07u);
CK__KACS_ABI_CHECK(ioc_adjust_groups_pkm, CK_KACS_IOC_ADJUST_GROUPS_PKM == 0x40904B07u);
CK__KACS_ABI_CHECK(ioc_impersonate, CK_KACS_IOC_IMPERSONATE == 0x00004B08u);
CK__KACS_ABI_CHECK(ioc_adjust_default, CK_KACS_IOC_ADJUST_DEFAULT == 0x40104B09u);
CK__KACS_ABI_CHECK(ioc_adjust_sessionid, CK_KACS_IOC_ADJUST_SESSIONID == 0x40044B0Au);

#ifdef __cplusplus
}
#endif

#endif
