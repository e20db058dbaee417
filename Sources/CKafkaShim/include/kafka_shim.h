#ifndef SHIELDFLOW_KAFKA_SHIM_H
#define SHIELDFLOW_KAFKA_SHIM_H
// Non-variadic wrappers for the librdkafka calls Swift cannot make (rd_kafka_producev is variadic).
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

/// Produces one message (payload and key are copied). On success librdkafka owns `headers`; on
/// failure the caller still does.
rd_kafka_resp_err_t sf_produce(rd_kafka_t *rk, const char *topic, int32_t partition,
                               const void *key, size_t key_len, const void *value, size_t value_len,
                               rd_kafka_headers_t *headers, void *opaque);
#endif
