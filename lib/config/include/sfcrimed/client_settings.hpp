#pragma once
// The one place where each Kafka client sfcrimed makes gets its librdkafka settings: the
// brokers, what every client shares (the connection's security), and each role's own.

#include <string>
#include <string_view>

#include "sfcrimed/config.hpp"
#include "sfcrimed/kafka_settings.hpp"

namespace sfcrimed {

// bootstrap.servers, client.id, and [client]: what every client shares (the connection's
// security: security.protocol, sasl.*, ssl.*), so that every client gets in where the
// others do. Each role's builder below starts from these and adds its own section.
kafka::Settings client_settings(const Config& config, std::string_view client_id);

// The ingest's idempotent producer: [client], then [producer] as configured.
kafka::Settings ingest_producer_settings(const Config& config);

// A pipeline thread's transactional producer, `id` its transactional.id.
kafka::Settings transactional_producer_settings(const Config& config, const std::string& id);

// A pipeline thread's consumer: a member of pipeline.group, statically named `member`.
kafka::Settings group_consumer_settings(const Config& config, const std::string& member);
// The same, for a member of `group` (the windows stage's) instead of pipeline.group.
kafka::Settings group_consumer_settings(const Config& config, const std::string& member, const std::string& group);
// A consumer of `group` that never joins it: it reads what the group committed.
kafka::Settings group_offsets_reader_settings(const Config& config, const std::string& client_id,
                                              const std::string& group);

// `sfcrimed stats`' reader of the stats and dead-letter topics (no group, nothing committed).
kafka::Settings stats_command_settings(const Config& config);

// `sfcrimed consume`'s consumer: a member of `group` that commits as it goes and, when the
// group has no offset yet, starts at the earliest one with `from_beginning`, else at the
// end. [consumer] is the pipeline's tuning and does not apply.
kafka::Settings consume_command_settings(const Config& config, const std::string& group, bool from_beginning);

// Whether the pipeline's consumers use the next-generation group protocol (KIP-848,
// group.protocol = consumer), whose rebalances are always incremental.
bool uses_consumer_group_protocol(const Config& config);

}  // namespace sfcrimed
