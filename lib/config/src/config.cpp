#include "sfcrimed/config.hpp"

#include <unistd.h>
#include <algorithm>
#include <array>
#include <boost/program_options.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>
#include <vector>

#include "sfcrimed/kafka_settings.hpp"
#include "sfcrimed/listen_address.hpp"

namespace sfcrimed {
namespace {

namespace po = boost::program_options;

// A section of librdkafka properties: [producer] for the ingest, [consumer] for the
// pipeline. Any property passes through; a few are sfcrimed's to set.
struct KafkaSection {
  std::string_view name;
  kafka::Settings fixed;       // what "losing nothing" and "counting once" rest on
  std::string_view fixed_why;  // said when a configuration tries to change one
  kafka::Settings documented;  // in etc/sfcrimed.ini, with sfcrimed's defaults (chosen by
                               // measurement: see the README's benchmarks)
};

const KafkaSection& producer_section() {
  static const KafkaSection section{
      "producer",
      {{"enable.idempotence", "true"}, {"acks", "all"}},
      "(idempotent, acknowledged by all in-sync replicas): nothing sent is lost or doubled",
      {
          {"linger.ms", "20"},
          {"batch.size", "1000000"},
          {"batch.num.messages", "10000"},
          {"compression.type", "lz4"},
          {"queue.buffering.max.messages", "50000"},
          {"queue.buffering.max.kbytes", "32768"},
          {"message.timeout.ms", "120000"},
          {"statistics.interval.ms", "5000"},
      }};
  return section;
}

const KafkaSection& consumer_section() {
  static const KafkaSection section{
      "consumer",
      {{"enable.auto.commit", "false"}, {"isolation.level", "read_committed"}},
      "(offsets commit in the pipeline's transactions, with the results they produced): every call counts once",
      {
          {"group.protocol", "classic"},
          {"session.timeout.ms", "45000"},
          {"fetch.wait.max.ms", "100"},
          {"fetch.min.bytes", "1"},
          {"max.partition.fetch.bytes", "1048576"},
          {"fetch.max.bytes", "52428800"},
          {"queued.min.messages", "100000"},
          {"queued.max.messages.kbytes", "65536"},
          {"statistics.interval.ms", "5000"},
      }};
  return section;
}

// Properties that other settings set, and the setting to use instead.
constexpr std::array<std::pair<std::string_view, std::string_view>, 5> kPropertiesSetElsewhere = {{
    {"partition.assignment.strategy",
     "sfcrimed (the classic protocol's eager assignors are what it is tested with; for incremental rebalances "
     "set consumer.group.protocol = consumer)"},
    {"bootstrap.servers", "kafka.bootstrap"},
    {"group.id", "pipeline.group"},
    {"transactional.id", "pipeline.group (each pipeline thread has its own id made from it)"},
    {"group.instance.id", "pipeline.group (each pipeline thread is a static member named from it)"},
}};

// Where each setting's value came from, for error messages.
class Sources {
 public:
  void from_file(const std::string& file) {
    file_ = file;
    std::ifstream in(file);
    std::string line;
    std::string section;
    for (int number = 1; std::getline(in, line); ++number) {
      const auto first = line.find_first_not_of(" \t");
      if (first == std::string::npos || line[first] == '#' || line[first] == ';') {
        continue;
      }
      if (line[first] == '[') {
        section = line.substr(first + 1, line.find(']') - first - 1);
        continue;
      }
      const auto equals = line.find('=');
      std::string key = line.substr(first, equals == std::string::npos ? std::string::npos : equals - first);
      key.erase(key.find_last_not_of(" \t") + 1);
      file_lines_.emplace(section.empty() ? key : section + "." + key, number);
    }
  }
  void from_command_line(const std::string& name) { command_line_.emplace(name, true); }

  // "the command line (--ingest.rate)", "etc/sfcrimed.ini:42 ([ingest] rate)" or "the default".
  [[nodiscard]] std::string where(const std::string& name) const {
    if (command_line_.contains(name)) {
      return "the command line (--" + name + ")";
    }
    if (const auto line = file_lines_.find(name); line != file_lines_.end()) {
      const auto dot = name.find('.');
      std::string where = file_;
      where += ":" + std::to_string(line->second);
      where += " ([" + name.substr(0, dot) + "] " + name.substr(dot + 1) + ")";
      return where;
    }
    return "the default of " + name;
  }

 private:
  std::string file_;
  std::map<std::string, int> file_lines_;
  std::map<std::string, bool> command_line_;
};

[[noreturn]] void bad(const Sources& sources, const std::string& name, const std::string& what) {
  throw ConfigError(sources.where(name) + ": " + what);
}

std::string option_name(const po::error& e) {
  if (const auto* with_name = dynamic_cast<const po::error_with_option_name*>(&e)) {
    std::string name = with_name->get_option_name();
    return name.substr(name.find_first_not_of('-'));
  }
  return {};
}

// Adds a pass-through librdkafka property, refusing the ones sfcrimed sets itself.
void pass_through(const KafkaSection& section, kafka::Settings& settings, const Sources& sources,
                  const std::string& name, const std::string& value) {
  const std::string property = name.substr(section.name.size() + 1);
  for (const auto& [fixed, fixed_value] : section.fixed) {
    if (property == fixed && value != fixed_value) {
      bad(sources, name,
          "sfcrimed always runs its " + std::string(section.name) + " with " + fixed + "=" + fixed_value + " " +
              std::string(section.fixed_why));
    }
  }
  for (const auto& [elsewhere, setting] : kPropertiesSetElsewhere) {
    if (property == elsewhere) {
      bad(sources, name,
          setting.starts_with("sfcrimed") ? "cannot be changed: " + std::string(setting.substr(9))
                                          : "is set by " + std::string(setting) + "; set that instead");
    }
  }
  settings.emplace_back(property, value);
}

// The librdkafka section a pass-through setting belongs to, or nullptr.
const KafkaSection* section_of(const std::string& name) {
  for (const auto* section : {&producer_section(), &consumer_section()}) {
    if (name.size() > section->name.size() && name.compare(0, section->name.size(), section->name) == 0 &&
        name[section->name.size()] == '.') {
      return section;
    }
  }
  return nullptr;
}

// The choice named `value` among `choices`, or a ConfigError listing them.
template <typename T>
T choose(const Sources& sources, const std::string& name, const std::string& value,
         std::initializer_list<std::pair<std::string_view, T>> choices) {
  std::string names;
  for (const auto& [choice, result] : choices) {
    if (choice == value) {
      return result;
    }
    names += (names.empty() ? "" : " or ") + std::string(choice);
  }
  bad(sources, name, "'" + value + "' is not one of the choices; use " + names);
}

bool is_secret(const std::string& key) {
  constexpr std::array<std::string_view, 4> kSecretWords = {"password", "secret", "sasl.oauthbearer.config", "ssl.key"};
  return std::ranges::any_of(kSecretWords, [&](std::string_view word) { return key.find(word) != std::string::npos; });
}

}  // namespace

namespace {
kafka::Settings defaults_of(const KafkaSection& section) {
  kafka::Settings settings = section.fixed;
  settings.insert(settings.end(), section.documented.begin(), section.documented.end());
  return settings;
}
}  // namespace

kafka::Settings default_producer_settings() { return defaults_of(producer_section()); }
kafka::Settings default_consumer_settings() { return defaults_of(consumer_section()); }

std::string dlq_topic(const Config& config) {
  return config.pipeline.dlq_topic.empty() ? config.kafka.topic + ".dlq" : config.pipeline.dlq_topic;
}
std::string stats_topic(const Config& config) {
  return config.pipeline.stats_topic.empty() ? config.kafka.topic + ".stats" : config.pipeline.stats_topic;
}
std::string state_topic(const Config& config) {
  return config.pipeline.state_topic.empty() ? config.kafka.topic + ".state" : config.pipeline.state_topic;
}

Invocation parse_invocation(int argc, const char* const* argv) {
  Invocation invocation;
  Config& config = invocation.config;
  const Config defaults;

  po::options_description commands("Commands and switches");
  commands.add_options()                                                         //
      ("help,h", "print this help and exit")                                     //
      ("version", "print the versions of sfcrimed and its libraries, and exit")  //
      ("config,c", po::value<std::string>(&config.file), "read settings from this ini file (see etc/sfcrimed.ini)")(
          "print-config", "print the effective configuration (defaults < file < command line) and exit")(
          "check-config", "check the configuration and the files it names, then exit (0: good, 78: not)")(
          "drain", po::bool_switch(&config.drain),
          "exit once the work is done: the ingest's records all acknowledged, then the pipeline consumed to the "
          "calls topic's end offsets as of then, every window flushed to the stats topic; prints a JSON summary "
          "as the last line of stdout and exits 0 only when nothing failed");

  std::string order = "time";
  std::string on_error = "skip";
  std::string log_level = "info";
  std::string window = format_duration(defaults.pipeline.window);
  std::string lateness = format_duration(defaults.pipeline.allowed_lateness);
  std::string commit_interval = format_duration(defaults.pipeline.commit_interval);
  std::string emit_interval = format_duration(defaults.pipeline.emit_interval);
  std::string progress_interval = format_duration(defaults.pipeline.progress_interval);
  std::string unavailable_timeout = format_duration(defaults.kafka.unavailable_timeout);
  std::string stall_timeout = format_duration(defaults.kafka.stall_timeout);
  po::options_description settings("Settings (in the ini file as [section] key = value)");
  settings.add_options()  //
      ("kafka.bootstrap", po::value(&config.kafka.bootstrap)->default_value(defaults.kafka.bootstrap),
       "Kafka bootstrap servers, host:port[,host:port...]")(
          "kafka.topic", po::value(&config.kafka.topic)->default_value(defaults.kafka.topic),
          "the calls topic (created with kafka.partitions partitions when missing)")(
          "kafka.partitions", po::value(&config.kafka.partitions)->default_value(defaults.kafka.partitions),
          "partitions of the topics sfcrimed creates")(
          "kafka.unavailable_timeout", po::value(&unavailable_timeout)->default_value(unavailable_timeout),
          "how long sfcrimed keeps retrying what a failover makes transient (a leader or coordinator moving, a "
          "broker down or frozen, a request timing out) before it gives up and exits 69")(
          "kafka.stall_timeout", po::value(&stall_timeout)->default_value(stall_timeout),
          "a part (the ingest, a pipeline thread) with work waiting that makes no progress this long, or a Kafka "
          "call this long past its deadline, is stuck: /healthz answers 503 and the systemd watchdog pings stop")(
          "ingest.enabled", po::value(&config.ingest.enabled)->default_value(true, "true"), "run the ingest thread")(
          "ingest.file", po::value(&config.ingest.file),
          "calls to replay: a JSON array or JSON lines, optionally .gz or .bz2 (see `sfcrimed sample`)")(
          "ingest.order", po::value(&order)->default_value(order),
          "time: replay by call_date_time, oldest first; file: as the file has them")(
          "ingest.rate", po::value(&config.ingest.rate)->default_value(0, "0"),
          "records per second; 0 sends as fast as the broker takes them (1 is the classic exercise's pace)")(
          "ingest.speedup", po::value(&config.ingest.speedup)->default_value(0, "0"),
          "instead of a rate: replay the gaps between calls' times this many times faster (0: off)")(
          "ingest.loop", po::value(&config.ingest.loop)->default_value(false, "false"),
          "start over at the end of the file")(
          "ingest.resume", po::value(&config.ingest.resume)->default_value(true, "true"),
          "start after the calls an earlier run of the same file and order left in the calls topic (found from "
          "each partition's last message); false replays from the start")(
          "ingest.on_error", po::value(&on_error)->default_value(on_error),
          "a bad record: skip (count it, say why, send the rest) or fail (send nothing from the file)")(
          "pipeline.enabled", po::value(&config.pipeline.enabled)->default_value(true, "true"),
          "run the statistics pipeline (consumer threads)")(
          "pipeline.threads", po::value(&config.pipeline.threads)->default_value(defaults.pipeline.threads),
          "consumer threads (1-64); the calls topic's partitions are spread over them")(
          "pipeline.group", po::value(&config.pipeline.group)->default_value(defaults.pipeline.group),
          "the pipeline's consumer group, also the prefix of its transactional ids")(
          "pipeline.window", po::value(&window)->default_value(window),
          "tumbling window length, e.g. 1h, 15m (whole seconds, dividing a day)")(
          "pipeline.allowed_lateness", po::value(&lateness)->default_value(lateness),
          "how far behind the latest call time a call may arrive and still count")(
          "pipeline.commit_interval", po::value(&commit_interval)->default_value(commit_interval),
          "how often results, dead letters and offsets are committed together (one Kafka transaction)")(
          "pipeline.emit_interval", po::value(&emit_interval)->default_value(emit_interval),
          "also emit open windows' changed counts this often (0: only closed windows' final counts)")(
          "pipeline.progress_interval", po::value(&progress_interval)->default_value(progress_interval),
          "how often the progress line is logged (0: never)")(
          "pipeline.radio_codes", po::value(&config.pipeline.radio_codes),
          "radio-code table in the radio_code.json format (empty: the built-in etc/radio_codes.json)")(
          "pipeline.dlq_topic", po::value(&config.pipeline.dlq_topic),
          "dead-letter topic for malformed calls (empty: <kafka.topic>.dlq)")(
          "pipeline.stats_topic", po::value(&config.pipeline.stats_topic),
          "compacted topic of window counts (empty: <kafka.topic>.stats)")(
          "pipeline.state_topic", po::value(&config.pipeline.state_topic),
          "compacted topic of the pipeline's recoverable state (empty: <kafka.topic>.state)")(
          "metrics.listen", po::value(&config.metrics.listen)->default_value(defaults.metrics.listen),
          "address:port of the HTTP endpoint: the live page (/), /metrics, /healthz, /readyz; empty: none")(
          "log.level", po::value(&log_level)->default_value(log_level), "error, warning, notice, info or debug")(
          "log.file", po::value(&config.log_file),
          "append log lines to this file, reopened on SIGHUP (for logrotate); empty: stderr");
  for (const auto* section : {&producer_section(), &consumer_section()}) {
    for (const auto& [property, value] : section->documented) {
      const std::string name = std::string(section->name) + "." + property;
      settings.add_options()(name.c_str(), po::value<std::string>()->default_value(value),
                             ("librdkafka " + std::string(section->name) + " property " + property).c_str());
    }
  }

  po::options_description all;
  all.add(commands).add(settings);
  std::ostringstream help;
  help << all;
  invocation.help = help.str();

  Sources sources;
  po::variables_map vm;
  po::parsed_options command_line(&all);
  try {
    command_line = po::command_line_parser(argc, argv).options(all).allow_unregistered().run();
    po::store(command_line, vm);
  } catch (const po::error& e) {
    throw ConfigError("the command line: " + std::string(e.what()));
  }
  for (const auto& option : command_line.options) {
    sources.from_command_line(option.string_key);
    if (option.unregistered && section_of(option.string_key) == nullptr) {
      throw ConfigError("the command line: unknown option '" + option.original_tokens.front() +
                        "'; see sfcrimed --help (librdkafka properties go as --producer.NAME=VALUE or "
                        "--consumer.NAME=VALUE)");
    }
  }
  if (vm.count("help") != 0U || vm.count("version") != 0U) {
    invocation.action = vm.count("help") != 0U ? Action::help : Action::version;
    return invocation;  // no file read, nothing checked: these always answer
  }
  if (vm.count("config") != 0U) {
    config.file = vm["config"].as<std::string>();
  }

  po::parsed_options from_file(&settings);
  if (!config.file.empty()) {
    std::ifstream in(config.file);
    if (!in) {
      throw ConfigError(config.file + ": cannot read the configuration file (" +
                        std::generic_category().message(errno) + "); check the path given to --config");
    }
    sources.from_file(config.file);
    try {
      from_file = po::parse_config_file(in, settings, true);
      po::store(from_file, vm);
    } catch (const po::error& e) {
      const std::string name = option_name(e);
      throw ConfigError((name.empty() ? config.file : sources.where(name)) + ": " + e.what());
    }
    for (const auto& option : from_file.options) {
      if (option.unregistered && section_of(option.string_key) == nullptr) {
        const auto dot = option.string_key.find('.');
        throw ConfigError(sources.where(option.string_key) + ": unknown setting '" + option.string_key.substr(dot + 1) +
                          "' in [" + option.string_key.substr(0, dot) + "]; etc/sfcrimed.ini lists every setting");
      }
    }
  }
  try {
    po::notify(vm);
  } catch (const po::error& e) {
    throw ConfigError(sources.where(option_name(e)) + ": " + e.what());
  }

  // librdkafka properties: fixed ones, documented ones (default, file or command line),
  // then pass-through ones from the file, then from the command line (the last one wins).
  for (const auto& [section, out] :
       {std::pair{&producer_section(), &config.producer}, std::pair{&consumer_section(), &config.consumer}}) {
    *out = section->fixed;
    for (const auto& [property, value] : section->documented) {
      const std::string name = std::string(section->name) + "." + property;
      pass_through(*section, *out, sources, name, vm[name].as<std::string>());
    }
  }
  for (const auto* parsed : {&from_file, &command_line}) {
    for (const auto& option : parsed->options) {
      if (option.unregistered) {
        if (option.value.empty()) {
          bad(sources, option.string_key, "needs a value (--" + option.string_key + "=VALUE)");
        }
        const KafkaSection* section = section_of(option.string_key);
        pass_through(*section, section == &producer_section() ? config.producer : config.consumer, sources,
                     option.string_key, option.value.front());
      }
    }
  }
  for (const auto& [section, settings_in] :
       {std::pair{"producer.", &config.producer}, std::pair{"consumer.", &config.consumer}}) {
    try {
      kafka::make_conf(*settings_in);
    } catch (const kafka::SettingError& e) {
      bad(sources, section + e.name(), e.what());
    }
  }

  const auto duration = [&](const std::string& name, const std::string& text) {
    const auto parsed = parse_duration(text);
    if (!parsed || parsed->count() < 0) {
      bad(sources, name, "'" + text + "' is not a duration; write it as 250ms, 30s, 15m, 1h or 1d");
    }
    return *parsed;
  };
  const auto whole_seconds = [&](const std::string& name, const std::string& text) {
    const auto parsed = duration(name, text);
    if (parsed.count() % 1000 != 0) {
      bad(sources, name, "must be whole seconds");
    }
    return std::chrono::duration_cast<std::chrono::seconds>(parsed);
  };
  config.pipeline.window = whole_seconds("pipeline.window", window);
  config.pipeline.allowed_lateness = whole_seconds("pipeline.allowed_lateness", lateness);
  config.pipeline.commit_interval = duration("pipeline.commit_interval", commit_interval);
  config.pipeline.emit_interval = duration("pipeline.emit_interval", emit_interval);
  config.pipeline.progress_interval = duration("pipeline.progress_interval", progress_interval);
  config.kafka.unavailable_timeout = duration("kafka.unavailable_timeout", unavailable_timeout);
  config.kafka.stall_timeout = duration("kafka.stall_timeout", stall_timeout);
  if (config.kafka.unavailable_timeout < std::chrono::seconds(1)) {
    bad(sources, "kafka.unavailable_timeout", "must be at least 1s: a broker's failover takes seconds");
  }
  if (config.kafka.stall_timeout < std::chrono::seconds(1)) {
    bad(sources, "kafka.stall_timeout", "must be at least 1s");
  }
  if (config.pipeline.window.count() < 1 || 86400 % config.pipeline.window.count() != 0) {
    bad(sources, "pipeline.window", "must divide a day into whole windows (1m, 5m, 15m, 1h, 6h, 1d, ...)");
  }
  if (config.pipeline.commit_interval.count() < 10) {
    bad(sources, "pipeline.commit_interval", "must be at least 10ms (each commit is a Kafka transaction)");
  }
  if (config.pipeline.threads < 1 || config.pipeline.threads > 64) {
    bad(sources, "pipeline.threads", "must be from 1 to 64");
  }
  if (config.pipeline.group.empty()) {
    bad(sources, "pipeline.group", "must not be empty");
  }
  if (config.pipeline.enabled && !config.pipeline.radio_codes.empty() && !std::ifstream(config.pipeline.radio_codes)) {
    bad(sources, "pipeline.radio_codes",
        "cannot read '" + config.pipeline.radio_codes + "' (" + std::generic_category().message(errno) + ")");
  }

  config.ingest.order = choose<ReplayOrder>(sources, "ingest.order", order,
                                            {{"time", ReplayOrder::event_time}, {"file", ReplayOrder::file}});
  config.ingest.on_error = choose<OnBadRecord>(sources, "ingest.on_error", on_error,
                                               {{"skip", OnBadRecord::skip}, {"fail", OnBadRecord::fail}});
  const auto level = log::parse_level(log_level);
  if (!level) {
    bad(sources, "log.level", "'" + log_level + "' is not a level; use error, warning, notice, info or debug");
  }
  config.log_level = *level;
  if (!config.log_file.empty()) {
    // Writable if it exists, or creatable in its directory: checked here so that a typo
    // is a configuration error, not a daemon that starts and cannot log.
    const auto slash = config.log_file.rfind('/');
    const std::string directory =
        slash == std::string::npos ? "." : config.log_file.substr(0, std::max<std::size_t>(slash, 1));
    const bool exists = ::access(config.log_file.c_str(), F_OK) == 0;
    if (::access(exists ? config.log_file.c_str() : directory.c_str(), W_OK) != 0) {
      bad(sources, "log.file",
          "cannot write to '" + (exists ? config.log_file : directory) + "' (" +
              std::generic_category().message(errno) + ")");
    }
  }
  if (config.ingest.rate < 0) {
    bad(sources, "ingest.rate", "must be 0 (unlimited) or more records per second");
  }
  if (config.ingest.speedup < 0) {
    bad(sources, "ingest.speedup", "must be 0 (off) or a positive factor");
  }
  if (config.ingest.rate > 0 && config.ingest.speedup > 0) {
    bad(sources, "ingest.speedup",
        "give a rate or a speedup, not both (ingest.rate is " + std::to_string(config.ingest.rate) + ")");
  }
  if (config.kafka.partitions < 1 || config.kafka.partitions > 1000) {
    bad(sources, "kafka.partitions", "must be from 1 to 1000");
  }
  if (!config.metrics.listen.empty()) {
    try {
      (void)parse_listen_address(config.metrics.listen);
    } catch (const std::invalid_argument& e) {
      bad(sources, "metrics.listen", e.what());
    }
  }
  if (config.kafka.bootstrap.empty()) {
    bad(sources, "kafka.bootstrap", "must name at least one broker (host:port)");
  }
  if (config.kafka.topic.empty()) {
    bad(sources, "kafka.topic", "must not be empty");
  }
  if (!config.ingest.enabled && !config.pipeline.enabled) {
    bad(sources, "pipeline.enabled", "false, with ingest.enabled false too, leaves nothing to run");
  }
  if (config.ingest.enabled && config.ingest.file.empty()) {
    bad(sources, "ingest.file", "the ingest needs a file of calls (or set ingest.enabled = false)");
  }
  if (config.ingest.enabled && !std::ifstream(config.ingest.file)) {
    bad(sources, "ingest.file",
        "cannot read '" + config.ingest.file + "' (" + std::generic_category().message(errno) + ")");
  }
  if (config.drain && config.ingest.loop) {
    bad(sources, "ingest.loop", "a looping ingest never finishes, so --drain would never exit");
  }

  if (vm.count("print-config") != 0U) {
    invocation.action = Action::print_config;
  } else if (vm.count("check-config") != 0U) {
    invocation.action = Action::check_config;
  }
  return invocation;
}

std::string to_ini(const Config& config) {
  std::ostringstream out;
  const auto flag = [](bool value) { return value ? "true" : "false"; };
  out << "# sfcrimed effective configuration" << (config.file.empty() ? "" : " (from " + config.file + ")") << "\n"
      << "[kafka]\nbootstrap = " << config.kafka.bootstrap << "\ntopic = " << config.kafka.topic
      << "\npartitions = " << config.kafka.partitions
      << "\nunavailable_timeout = " << format_duration(config.kafka.unavailable_timeout)
      << "\nstall_timeout = " << format_duration(config.kafka.stall_timeout) << "\n\n"
      << "[ingest]\nenabled = " << flag(config.ingest.enabled) << "\nfile = " << config.ingest.file
      << "\norder = " << (config.ingest.order == ReplayOrder::event_time ? "time" : "file")
      << "\nrate = " << config.ingest.rate << "\nspeedup = " << config.ingest.speedup
      << "\nloop = " << flag(config.ingest.loop) << "\nresume = " << flag(config.ingest.resume)
      << "\non_error = " << (config.ingest.on_error == OnBadRecord::skip ? "skip" : "fail") << "\n";
  const auto section = [&](const char* name, const kafka::Settings& settings) {
    std::map<std::string, std::string> last;  // the last value of each property
    for (const auto& [property, value] : settings) {
      last[property] = value;
    }
    out << "\n[" << name << "]\n";
    for (const auto& [property, value] : last) {
      out << property << " = " << (is_secret(property) ? "********" : value) << "\n";
    }
  };
  section("producer", config.producer);
  const PipelineConfig& pipeline = config.pipeline;
  out << "\n[pipeline]\nenabled = " << flag(pipeline.enabled) << "\nthreads = " << pipeline.threads
      << "\ngroup = " << pipeline.group << "\nwindow = " << format_duration(pipeline.window)
      << "\nallowed_lateness = " << format_duration(pipeline.allowed_lateness)
      << "\ncommit_interval = " << format_duration(pipeline.commit_interval)
      << "\nemit_interval = " << format_duration(pipeline.emit_interval)
      << "\nprogress_interval = " << format_duration(pipeline.progress_interval)
      << "\nradio_codes = " << pipeline.radio_codes << "\ndlq_topic = " << pipeline.dlq_topic
      << "\nstats_topic = " << pipeline.stats_topic << "\nstate_topic = " << pipeline.state_topic << "\n";
  section("consumer", config.consumer);
  out << "\n[metrics]\nlisten = " << config.metrics.listen << "\n\n[log]\nlevel = " << log::level_name(config.log_level)
      << "\nfile = " << config.log_file << "\n";
  return out.str();
}

}  // namespace sfcrimed
