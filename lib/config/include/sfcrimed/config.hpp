#pragma once
// sfcrimed's one configuration model: built-in defaults, then the ini files named by
// --config (it may be given more than once: a later file overrides an earlier one, so
// that credentials live in a file of their own), then the command line, each overriding
// the one before. Every setting has
// the same name in both places: `[ingest] rate = 500` in the file is `--ingest.rate 500`
// on the command line. etc/sfcrimed.ini documents them all; settings_table.hpp declares
// them, each once.

#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sfcrimed/call_file.hpp"
#include "sfcrimed/duration.hpp"
#include "sfcrimed/kafka_properties.hpp"
#include "sfcrimed/log.hpp"

namespace sfcrimed {

// EX_CONFIG from sysexits.h: what sfcrimed exits with on any configuration error.
inline constexpr int kExitConfig = 78;

// A configuration error: the message says where (file and line, or the command line),
// which setting, and what is wrong with it.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct KafkaConfig {
  std::string bootstrap = "localhost:9092";
  std::string topic = "sf.police.calls";
  int partitions = 3;  // for topics sfcrimed creates
  // How long what a failover makes transient is retried before sfcrimed gives up (exit 69).
  std::chrono::milliseconds unavailable_timeout{std::chrono::minutes(2)};
  // How long a part may have work and make no progress (or overrun a Kafka call's
  // deadline) before /healthz answers 503 and the watchdog pings stop.
  std::chrono::milliseconds stall_timeout{std::chrono::minutes(1)};
};

struct IngestConfig {
  bool enabled = true;
  std::string file;
  ReplayOrder order = ReplayOrder::event_time;
  double rate = 0;     // records per second; 0: as fast as the broker takes them
  double speedup = 0;  // replay the event-time gaps this many times faster; 0: off
  bool loop = false;
  bool resume = true;  // start after what an earlier run of the same replay left in the topic
  OnBadRecord on_error = OnBadRecord::skip;
};

struct PipelineConfig {
  bool enabled = true;
  int threads = 2;                 // consumer threads, each with its share of the partitions
  std::string group = "sfcrimed";  // the consumer group, and the prefix of transactional ids
  std::string instance;            // this process's name in the group; empty: the host name
  std::chrono::seconds window{3600};
  std::chrono::seconds allowed_lateness{3600};
  std::chrono::milliseconds commit_interval{1000};     // how often results and offsets commit
  std::chrono::milliseconds emit_interval{0};          // open windows' counts this often; 0: closed ones only
  std::chrono::milliseconds idle_timeout{60000};       // a partition without calls this long closes its windows
  std::chrono::milliseconds progress_interval{10000};  // the progress log line; 0: none
  std::string radio_codes;  // the radio-code table file; empty: the built-in etc/radio_codes.json
  std::string dlq_topic;    // the topic names; empty: <kafka.topic>.dlq, .stats, .state
  std::string stats_topic;
  std::string state_topic;
  std::string windows_topic;
};

struct MetricsConfig {
  std::string listen = "127.0.0.1:9464";  // empty: no HTTP endpoint
  std::string tls_certificate;            // PEM certificate chain; with tls_key: HTTPS; empty: plain HTTP
  std::string tls_key;                    // PEM private key of tls_certificate
  std::string users;                      // name:bcrypt-hash lines (htpasswd -B); empty: no authentication
  bool open_healthz = false;              // /healthz without authentication (for probes that have none)
};

struct Config {
  std::vector<std::string> files;  // the ini files read, in the order given (none: defaults)
  KafkaConfig kafka;
  kafka::Settings client;  // librdkafka properties every Kafka client gets (security)
  IngestConfig ingest;
  kafka::Settings producer;  // librdkafka producer properties, defaults first
  PipelineConfig pipeline;
  kafka::Settings consumer;  // librdkafka consumer properties, defaults first
  MetricsConfig metrics;
  log::Level log_level = log::Level::info;
  std::string log_file;  // empty: stderr (journald under systemd)
  bool drain = false;
};

enum class Action { run, help, version, print_config, check_config };

struct Invocation {
  Action action = Action::run;
  Config config;
  std::string help;  // the text of --help
};

// Reads the daemon's command line and the ini files it names; throws ConfigError. A file
// that sets a secret (a password, a private key) must not be readable by others: it is
// refused, naming the file and the setting (so that a password never sits in a
// world-readable file unnoticed).
Invocation parse_invocation(int argc, const char* const* argv);

// The configuration of the ini files `files` alone (defaults < files), for the commands
// that connect as the daemon does (`sfcrimed stats`, `sfcrimed consume`); throws ConfigError.
Config read_config_files(const std::vector<std::string>& files);

// The files of `config`, as the log and --check-config name them: "a.ini, b.ini" ("" for none).
std::string files_text(const Config& config);

// Whether a librdkafka property holds a secret (a password, a private key, an OAuth
// client secret): masked wherever a configuration is shown.
bool is_secret_property(std::string_view property);

// The librdkafka producer properties sfcrimed sets before the [producer] section.
kafka::Settings default_producer_settings();
// The same for the pipeline's consumers, before the [consumer] section.
kafka::Settings default_consumer_settings();

// The topics the pipeline writes, by their configured or derived names.
std::string dlq_topic(const Config& config);
std::string stats_topic(const Config& config);
std::string state_topic(const Config& config);
std::string windows_topic(const Config& config);
// The windows stage's consumer group: <pipeline.group>.windows.
std::string windows_group(const Config& config);

// This process's name in its group: pipeline.instance, or the host name when that is empty.
std::string pipeline_instance(const Config& config);
// The name of pipeline thread `thread` of this instance: <group>.<topic>.<instance>.<thread>,
// its client id, transactional id and static member id (group.instance.id). Unique per
// calls topic, instance and thread, so that a restarted thread takes over (fences) its
// predecessor and two instances of one group never fence each other.
std::string pipeline_member(const Config& config, int thread);
// The same for this instance's windows stage: <group>.<topic>.<instance>.windows (under
// the threads' prefix, so that the ACLs that let the threads in let it in too).
std::string windows_member(const Config& config);

// The effective configuration as ini text, secrets masked (--print-config, start-up log).
std::string to_ini(const Config& config);

}  // namespace sfcrimed
