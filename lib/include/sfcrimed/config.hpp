#pragma once
// sfcrimed's one configuration model: built-in defaults, then the ini file named by
// --config, then the command line, each overriding the one before. Every setting has
// the same name in both places: `[ingest] rate = 500` in the file is `--ingest.rate 500`
// on the command line. etc/sfcrimed.ini documents them all.

#include <map>
#include <stdexcept>
#include <string>

#include "sfcrimed/call_file.hpp"
#include "sfcrimed/kafka_settings.hpp"
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
};

struct IngestConfig {
  bool enabled = true;
  std::string file;
  ReplayOrder order = ReplayOrder::event_time;
  double rate = 0;     // records per second; 0: as fast as the broker takes them
  double speedup = 0;  // replay the event-time gaps this many times faster; 0: off
  bool loop = false;
  OnBadRecord on_error = OnBadRecord::skip;
};

struct PipelineConfig {
  bool enabled = true;
};

struct MetricsConfig {
  std::string listen = "127.0.0.1:9464";  // empty: no HTTP endpoint
};

struct Config {
  std::string file;  // the ini file read ("" when none)
  KafkaConfig kafka;
  IngestConfig ingest;
  kafka::Settings producer;  // librdkafka producer properties, defaults first
  PipelineConfig pipeline;
  MetricsConfig metrics;
  log::Level log_level = log::Level::info;
  bool drain = false;
};

enum class Action { run, help, version, print_config, check_config };

struct Invocation {
  Action action = Action::run;
  Config config;
  std::string help;  // the text of --help
};

// Reads the daemon's command line and the ini file it names; throws ConfigError.
Invocation parse_invocation(int argc, const char* const* argv);

// The librdkafka producer properties sfcrimed sets before the [producer] section.
kafka::Settings default_producer_settings();

// The effective configuration as ini text, secrets masked (--print-config, start-up log).
std::string to_ini(const Config& config);

}  // namespace sfcrimed
