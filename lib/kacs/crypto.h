/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libcrypto (SHA-256, Ed25519, PEM) for PIP, loaded with dlopen the first
 * time PIP needs it: a process that never signs or verifies a binary (every
 * command but `kacs`) does not pay OpenSSL's load and relocation at start.
 */
#ifndef CK_KACS_CRYPTO_H
#define CK_KACS_CRYPTO_H

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

/* Every libcrypto function PIP calls; the table's types are the headers' prototypes. */
#define CK__OSSL_FUNCTIONS(X)                                                                          \
	X(ERR_clear_error)                                                                             \
	X(EVP_sha256)                                                                                  \
	X(EVP_MD_CTX_new)                                                                              \
	X(EVP_MD_CTX_free)                                                                             \
	X(EVP_DigestInit_ex)                                                                           \
	X(EVP_DigestUpdate)                                                                            \
	X(EVP_DigestFinal_ex)                                                                          \
	X(EVP_DigestSignInit)                                                                          \
	X(EVP_DigestSign)                                                                              \
	X(EVP_DigestVerifyInit)                                                                        \
	X(EVP_DigestVerify)                                                                            \
	X(EVP_PKEY_new_raw_public_key)                                                                 \
	X(EVP_PKEY_new_raw_private_key)                                                                \
	X(EVP_PKEY_get_raw_public_key)                                                                 \
	X(EVP_PKEY_get_raw_private_key)                                                                \
	X(EVP_PKEY_get_id)                                                                             \
	X(EVP_PKEY_get0_type_name)                                                                     \
	X(EVP_PKEY_free)                                                                               \
	X(BIO_new_mem_buf)                                                                             \
	X(BIO_ctrl)                                                                                    \
	X(BIO_free)                                                                                    \
	X(PEM_read_bio_PrivateKey)                                                                     \
	X(PEM_read_bio_PUBKEY)

struct ck__ossl {
#define CK__OSSL_MEMBER(f) __typeof__(&f) f;
	CK__OSSL_FUNCTIONS(CK__OSSL_MEMBER)
#undef CK__OSSL_MEMBER
};

/*
 * The loaded functions, or NULL with errno ELIBACC when libcrypto (or one of
 * its functions) cannot be loaded; ck__ossl_error() then says why. Thread-safe.
 */
const struct ck__ossl *ck__ossl(void);
const char *ck__ossl_error(void);

#endif
