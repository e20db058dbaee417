#ifndef SHIELDFLOW_CURL_SHIM_H
#define SHIELDFLOW_CURL_SHIM_H
// Non-variadic wrappers for libcurl (curl_easy_setopt/getinfo are variadic) and a gzip helper
// (zlib's deflateInit2 is a macro).
#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

typedef size_t (*sf_curl_write_fn)(char *ptr, size_t size, size_t nmemb, void *userdata);

CURLcode sf_curl_setopt_long(CURL *curl, CURLoption option, long value);
CURLcode sf_curl_setopt_ptr(CURL *curl, CURLoption option, const void *value);
CURLcode sf_curl_setopt_write(CURL *curl, CURLoption option, sf_curl_write_fn fn);
CURLcode sf_curl_getinfo_long(CURL *curl, CURLINFO info, long *value);

/// gzip-compresses `in`; on success returns 0 and a malloc'd buffer the caller frees.
int sf_gzip(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len);
/// gunzip, for tests and the spool's self-check; same contract.
int sf_gunzip(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len);
#endif
