#include "sfcrimed/client_settings.hpp"

#include <algorithm>

namespace sfcrimed {
namespace {

void remove_property(kafka::Settings& settings, std::string_view property) {
  std::erase_if(settings, [&](const auto& setting) { return setting.first == property; });
}

}  // namespace

kafka::Settings client_settings(const Config& config, std::string_view client_id) {
  kafka::Settings settings = {{"bootstrap.servers", config.kafka.bootstrap}, {"client.id", std::string(client_id)}};
  settings.insert(settings.end(), config.client.begin(), config.client.end());
  return settings;
}

kafka::Settings ingest_producer_settings(const Config& config) {
  kafka::Settings settings = client_settings(config, "sfcrimed-ingest");
  settings.insert(settings.end(), config.producer.begin(), config.producer.end());
  return settings;
}

kafka::Settings transactional_producer_settings(const Config& config, const std::string& id) {
  kafka::Settings settings = client_settings(config, id + ".producer");
  settings.insert(settings.end(), config.producer.begin(), config.producer.end());
  // A transactional producer's messages wait at most transaction.timeout.ms (librdkafka
  // refuses a longer message.timeout.ms): the ingest's delivery timeout is not for it.
  remove_property(settings, "message.timeout.ms");
  // A transaction's stats messages are all queued before it commits; the ingest's queue
  // limits (sized to pace a replay) would only make the thread wait on acknowledgements.
  settings.emplace_back("queue.buffering.max.messages", "1000000");
  settings.emplace_back("queue.buffering.max.kbytes", "1048576");
  // State snapshots may exceed librdkafka's default 1 MB; the state topic takes 16 MiB.
  settings.emplace_back("message.max.bytes", "16777216");
  // The same id after a restart fences the crashed process's producer and aborts what it
  // left open.
  settings.emplace_back("transactional.id", id);
  return settings;
}

kafka::Settings stats_command_settings(const Config& config) { return client_settings(config, "sfcrimed-stats"); }

kafka::Settings consume_command_settings(const Config& config, const std::string& group, bool from_beginning) {
  kafka::Settings settings = client_settings(config, "sfcrimed-consume");
  settings.insert(settings.end(), {{"group.id", group},
                                   {"auto.offset.reset", from_beginning ? "earliest" : "latest"},
                                   {"enable.auto.commit", "true"},
                                   {"enable.partition.eof", "false"}});
  return settings;
}

bool uses_consumer_group_protocol(const Config& config) {
  return kafka::setting_or(config.consumer, "group.protocol", "classic") == "consumer";
}

kafka::Settings group_consumer_settings(const Config& config, const std::string& member) {
  return group_consumer_settings(config, member, config.pipeline.group);
}

kafka::Settings group_offsets_reader_settings(const Config& config, const std::string& client_id,
                                              const std::string& group) {
  kafka::Settings settings = client_settings(config, client_id);
  settings.insert(settings.end(), {{"group.id", group}, {"enable.auto.commit", "false"}});
  return settings;
}

kafka::Settings group_consumer_settings(const Config& config, const std::string& member, const std::string& group) {
  kafka::Settings settings = client_settings(config, member);
  settings.insert(settings.end(), config.consumer.begin(), config.consumer.end());
  if (uses_consumer_group_protocol(config)) {
    // The group coordinator keeps the session under KIP-848 (the broker's
    // group.consumer.session.timeout.ms); librdkafka refuses the client-side setting.
    remove_property(settings, "session.timeout.ms");
    remove_property(settings, "heartbeat.interval.ms");
  }
  settings.insert(settings.end(), {{"group.id", group},
                                   // Static membership: a restarted thread takes its
                                   // partitions back without waiting out its old session.
                                   {"group.instance.id", member},
                                   {"auto.offset.reset", "earliest"},
                                   {"enable.partition.eof", "true"}});
  return settings;
}

}  // namespace sfcrimed
