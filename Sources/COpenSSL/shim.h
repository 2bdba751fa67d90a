#ifndef UISERVE_COPENSSL_SHIM_H
#define UISERVE_COPENSSL_SHIM_H
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/x509_vfy.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/crypto.h>

/* Swift cannot see OpenSSL's function-like macros; these typed helpers stand in for them. */
static inline int uiserve_EVP_PKEY_CTX_set_rsa_pss(EVP_PKEY_CTX *ctx) {
    if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) <= 0) return 0;
    return EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_DIGEST);
}
#endif
