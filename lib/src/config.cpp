#include "sfcrimed/config.hpp"

#include <algorithm>
#include <array>
#include <boost/program_options.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>
#include <vector>

namespace sfcrimed {
namespace {

namespace po = boost::program_options;

// librdkafka producer properties sfcrimed fixes: they are what "losing nothing" means.
kafka::Settings fixed_producer_settings() { return {{"enable.idempotence", "true"}, {"acks", "all"}}; }

// Producer properties documented in etc/sfcrimed.ini, with sfcrimed's defaults (chosen
// by measurement: see the README's ingest benchmark).
kafka::Settings documented_producer_settings() {
  return {
      {"linger.ms", "20"},
      {"batch.size", "1000000"},
      {"batch.num.messages", "10000"},
      {"compression.type", "lz4"},
      {"queue.buffering.max.messages", "50000"},
      {"queue.buffering.max.kbytes", "32768"},
      {"message.timeout.ms", "60000"},
  };
}

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

// Adds a pass-through librdkafka property, refusing the ones sfcrimed fixes.
void pass_through(kafka::Settings& producer, const Sources& sources, const std::string& name,
                  const std::string& value) {
  const std::string property = name.substr(std::string("producer.").size());
  for (const auto& [fixed, fixed_value] : fixed_producer_settings()) {
    if (property == fixed && value != fixed_value) {
      bad(sources, name,
          "sfcrimed always runs its producer with " + fixed + "=" + fixed_value +
              " (idempotent, acknowledged by all in-sync replicas): nothing sent is lost or doubled");
    }
  }
  producer.emplace_back(property, value);
}

bool starts_with(const std::string& text, std::string_view prefix) { return text.rfind(prefix, 0) == 0; }

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

kafka::Settings default_producer_settings() {
  kafka::Settings settings = fixed_producer_settings();
  const kafka::Settings documented = documented_producer_settings();
  settings.insert(settings.end(), documented.begin(), documented.end());
  return settings;
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
          "exit once the work is done (the ingest: every record acknowledged), printing a JSON summary as the "
          "last line of stdout; exit 0 only when nothing failed");

  std::string order = "time";
  std::string on_error = "skip";
  std::string log_level = "info";
  po::options_description settings("Settings (in the ini file as [section] key = value)");
  settings.add_options()  //
      ("kafka.bootstrap", po::value(&config.kafka.bootstrap)->default_value(defaults.kafka.bootstrap),
       "Kafka bootstrap servers, host:port[,host:port...]")(
          "kafka.topic", po::value(&config.kafka.topic)->default_value(defaults.kafka.topic),
          "the calls topic (created with kafka.partitions partitions when missing)")(
          "kafka.partitions", po::value(&config.kafka.partitions)->default_value(defaults.kafka.partitions),
          "partitions of the topics sfcrimed creates")(
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
          "ingest.on_error", po::value(&on_error)->default_value(on_error),
          "a bad record: skip (count it, say why, send the rest) or fail (send nothing from the file)")(
          "pipeline.enabled", po::value(&config.pipeline.enabled)->default_value(true, "true"),
          "run the statistics pipeline (not in this version yet)")(
          "metrics.listen", po::value(&config.metrics.listen)->default_value(defaults.metrics.listen),
          "address:port of the Prometheus /metrics endpoint; empty: none")(
          "log.level", po::value(&log_level)->default_value(log_level), "error, warning, notice, info or debug");
  for (const auto& [property, value] : documented_producer_settings()) {
    settings.add_options()(("producer." + property).c_str(), po::value<std::string>()->default_value(value),
                           ("librdkafka producer property " + property).c_str());
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
    if (option.unregistered && !starts_with(option.string_key, "producer.")) {
      throw ConfigError("the command line: unknown option '" + option.original_tokens.front() +
                        "'; see sfcrimed --help (librdkafka producer properties go as --producer.NAME=VALUE)");
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
      if (option.unregistered && !starts_with(option.string_key, "producer.")) {
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

  // Producer properties: fixed ones, documented ones (default, file or command line), then
  // pass-through ones from the file, then from the command line (the last one wins).
  config.producer = fixed_producer_settings();
  for (const auto& [property, value] : documented_producer_settings()) {
    pass_through(config.producer, sources, "producer." + property, vm["producer." + property].as<std::string>());
  }
  for (const auto* parsed : {&from_file, &command_line}) {
    for (const auto& option : parsed->options) {
      if (option.unregistered) {
        if (option.value.empty()) {
          bad(sources, option.string_key, "needs a value (--" + option.string_key + "=VALUE)");
        }
        pass_through(config.producer, sources, option.string_key, option.value.front());
      }
    }
  }
  try {
    kafka::make_conf(config.producer);
  } catch (const kafka::SettingError& e) {
    bad(sources, "producer." + e.name(), e.what());
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
  if (config.kafka.bootstrap.empty()) {
    bad(sources, "kafka.bootstrap", "must name at least one broker (host:port)");
  }
  if (config.kafka.topic.empty()) {
    bad(sources, "kafka.topic", "must not be empty");
  }
  if (!config.ingest.enabled) {
    // The pipeline, the only other work, is not in this version yet: without the ingest
    // a daemon would run and do nothing.
    bad(sources, "ingest.enabled", "false leaves nothing to run: this version has no statistics pipeline yet");
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
      << "\npartitions = " << config.kafka.partitions << "\n\n"
      << "[ingest]\nenabled = " << flag(config.ingest.enabled) << "\nfile = " << config.ingest.file
      << "\norder = " << (config.ingest.order == ReplayOrder::event_time ? "time" : "file")
      << "\nrate = " << config.ingest.rate << "\nspeedup = " << config.ingest.speedup
      << "\nloop = " << flag(config.ingest.loop)
      << "\non_error = " << (config.ingest.on_error == OnBadRecord::skip ? "skip" : "fail") << "\n\n[producer]\n";
  std::map<std::string, std::string> producer;  // the last value of each property
  for (const auto& [property, value] : config.producer) {
    producer[property] = value;
  }
  for (const auto& [property, value] : producer) {
    out << property << " = " << (is_secret(property) ? "********" : value) << "\n";
  }
  out << "\n[pipeline]\nenabled = " << flag(config.pipeline.enabled)
      << "\n\n[metrics]\nlisten = " << config.metrics.listen
      << "\n\n[log]\nlevel = " << log::level_name(config.log_level) << "\n";
  return out.str();
}

}  // namespace sfcrimed
