#include "curl_shim.h"
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

CURLcode sf_curl_setopt_long(CURL *curl, CURLoption option, long value) { return curl_easy_setopt(curl, option, value); }
CURLcode sf_curl_setopt_ptr(CURL *curl, CURLoption option, const void *value) { return curl_easy_setopt(curl, option, value); }
CURLcode sf_curl_setopt_write(CURL *curl, CURLoption option, sf_curl_write_fn fn) { return curl_easy_setopt(curl, option, fn); }
CURLcode sf_curl_getinfo_long(CURL *curl, CURLINFO info, long *value) { return curl_easy_getinfo(curl, info, value); }

static int run(z_stream *s, int (*step)(z_stream *, int), int (*end)(z_stream *), uint8_t **out, size_t *out_len, size_t cap) {
    uint8_t *buf = malloc(cap);
    if (!buf) { end(s); return -1; }
    size_t used = 0;
    for (;;) {
        s->next_out = buf + used;
        s->avail_out = (uInt)(cap - used);
        int rc = step(s, Z_FINISH);
        used = cap - s->avail_out;
        if (rc == Z_STREAM_END) break;
        if (rc != Z_OK && rc != Z_BUF_ERROR) { free(buf); end(s); return -1; }
        if (s->avail_out == 0) {
            if (cap > ((size_t)1 << 30)) { free(buf); end(s); return -1; }
            uint8_t *bigger = realloc(buf, cap * 2);
            if (!bigger) { free(buf); end(s); return -1; }
            buf = bigger;
            cap *= 2;
        } else if (s->avail_in == 0 && rc == Z_BUF_ERROR) { free(buf); end(s); return -1; }
    }
    end(s);
    *out = buf;
    *out_len = used;
    return 0;
}

int sf_gzip(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len) {
    z_stream s;
    memset(&s, 0, sizeof s);
    if (deflateInit2(&s, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return -1;
    s.next_in = (Bytef *)in;
    s.avail_in = (uInt)in_len;
    return run(&s, deflate, deflateEnd, out, out_len, in_len / 2 + 64);
}

int sf_gunzip(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len) {
    z_stream s;
    memset(&s, 0, sizeof s);
    if (inflateInit2(&s, 15 + 16) != Z_OK) return -1;
    s.next_in = (Bytef *)in;
    s.avail_in = (uInt)in_len;
    return run(&s, inflate, inflateEnd, out, out_len, in_len * 4 + 64);
}
