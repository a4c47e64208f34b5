#include "sfcrimed/config.hpp"

#include <algorithm>
#include <array>
#include <boost/program_options.hpp>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <ostream>
#include <sstream>
#include <system_error>

#include <sys/stat.h>
#include <unistd.h>

#include "detail/setting_options.hpp"
#include "sfcrimed/kafka_settings.hpp"
#include "sfcrimed/settings_table.hpp"

namespace sfcrimed {
namespace {

namespace po = boost::program_options;

using settings::KafkaSection;

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

// Where each setting's value came from, for error messages: the command line, or the
// last file (and line) that set it.
class Sources {
 public:
  void from_file(const std::string& file) {
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
      file_lines_.insert_or_assign(section.empty() ? key : section + "." + key, std::pair{file, number});
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
      std::string where = line->second.first;
      where += ":" + std::to_string(line->second.second);
      where += " ([" + name.substr(0, dot) + "] " + name.substr(dot + 1) + ")";
      return where;
    }
    return "the default of " + name;
  }

 private:
  std::map<std::string, std::pair<std::string, int>> file_lines_;  // name: file, line
  std::map<std::string, bool> command_line_;
};

[[noreturn]] void bad(const Sources& sources, const std::string& name, const std::string& what) {
  throw ConfigError(sources.where(name) + ": " + what);
}

std::string option_name(const po::error& e) {
  if (const auto* with_name = dynamic_cast<const po::error_with_option_name*>(&e)) {
    const std::string name = with_name->get_option_name();
    const auto start = name.find_first_not_of('-');
    return start == std::string::npos ? "" : name.substr(start);
  }
  return {};
}

// Adds a pass-through librdkafka property, refusing the ones sfcrimed sets itself.
void pass_through(const KafkaSection& section, kafka::Settings& properties, const Sources& sources,
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
  properties.emplace_back(property, value);
}

// The librdkafka section a pass-through setting ("producer.linger.ms") belongs to, or nullptr.
const KafkaSection* section_of(const std::string& name) {
  const auto dot = name.find('.');
  return dot == std::string::npos ? nullptr : settings::kafka_section(std::string_view(name).substr(0, dot));
}

kafka::Settings defaults_of(const KafkaSection& section) {
  kafka::Settings properties = section.fixed;
  properties.insert(properties.end(), section.documented.begin(), section.documented.end());
  return properties;
}

// What only the command line has: commands, --config and --drain.
po::options_description command_options(Config& config) {
  po::options_description commands("Commands and switches");
  commands.add_options()                                                         //
      ("help,h", "print this help and exit")                                     //
      ("version", "print the versions of sfcrimed and its libraries, and exit")  //
      ("config,c", po::value<std::vector<std::string>>(&config.files),
       "read settings from this ini file (see etc/sfcrimed.ini); given again, each file overrides the ones "
       "before it (keep credentials in a file of their own, readable by sfcrimed alone). Under systemd, "
       "$CREDENTIALS_DIRECTORY/credentials.ini (LoadCredential=) is read after them")(
          "print-config", "print the effective configuration (defaults < file < command line) and exit")(
          "check-config", "check the configuration and the files it names, then exit (0: good, 78: not)")(
          "drain", po::bool_switch(&config.drain),
          "exit once the work is done: the ingest's records all acknowledged, then the pipeline consumed to the "
          "calls topic's end offsets as of then, every window flushed to the stats topic; prints a JSON summary "
          "as the last line of stdout and exits 0 only when nothing failed");
  return commands;
}

// Every setting of the table, then the librdkafka properties sfcrimed has defaults for:
// in the ini file and on the command line alike. Values read go into `config`.
po::options_description setting_options(Config& config) {
  const Config defaults;
  po::options_description options("Settings (in the ini file as [section] key = value)");
  for (const auto& setting : settings::table()) {
    options.add_options()(std::string(setting.name).c_str(), settings::option(setting, config, defaults),
                          std::string(setting.help).c_str());
  }
  for (const auto* section : settings::kafka_sections()) {
    for (const auto& [property, value] : section->documented) {
      const std::string name = std::string(section->name) + "." + property;
      options.add_options()(name.c_str(), po::value<std::string>()->default_value(value),
                            ("librdkafka " + std::string(section->name) + " property " + property).c_str());
    }
  }
  return options;
}

// Parses the command line into `values`; librdkafka properties pass unregistered.
po::parsed_options read_command_line(int argc, const char* const* argv, const po::options_description& options,
                                     po::variables_map& values, Sources& sources) {
  po::parsed_options command_line(&options);
  try {
    command_line = po::command_line_parser(argc, argv).options(options).allow_unregistered().run();
    po::store(command_line, values);
  } catch (const po::error& e) {
    throw ConfigError("the command line: " + std::string(e.what()));
  }
  for (const auto& option : command_line.options) {
    sources.from_command_line(option.string_key);
    if (option.unregistered && section_of(option.string_key) == nullptr) {
      throw ConfigError("the command line: unknown option '" + option.original_tokens.front() +
                        "'; see sfcrimed --help (librdkafka properties go as --client.NAME=VALUE, "
                        "--producer.NAME=VALUE or --consumer.NAME=VALUE)");
    }
  }
  return command_line;
}

// Under systemd, the credentials the unit hands over (LoadCredential=credentials.ini:...):
// a file in $CREDENTIALS_DIRECTORY, a directory only this service can read, that systemd
// copied from one only root can. Read after the --config files, so that its [client]
// password or key passphrase never has to be in the ini, on the command line or in `ps`.
std::optional<std::string> systemd_credentials() {
  // Read once, while parsing the command line, before any thread starts.
  const char* directory = std::getenv("CREDENTIALS_DIRECTORY");  // NOLINT(concurrency-mt-unsafe)
  if (directory == nullptr || *directory == '\0') {
    return std::nullopt;
  }
  std::string file = std::string(directory) + "/credentials.ini";
  struct stat status {};
  return ::stat(file.c_str(), &status) == 0 ? std::optional(file) : std::nullopt;
}

// The secret a file sets, when others may read it: such a file is refused, as ssh refuses
// a private key others can read, before anything connects with what it holds. (Group
// read stays allowed: root:sfcrimed 0640 is how a service's credentials are often kept.)
void refuse_readable_secrets(const std::string& file, const po::parsed_options& parsed, const Sources& sources) {
  struct stat status {};
  if (::stat(file.c_str(), &status) != 0 || (status.st_mode & S_IROTH) == 0) {
    return;
  }
  for (const auto& option : parsed.options) {
    const auto dot = option.string_key.find('.');
    if (dot != std::string::npos && is_secret_property(std::string_view(option.string_key).substr(dot + 1))) {
      std::ostringstream mode;
      mode << std::oct << (status.st_mode & 0777);
      throw ConfigError(sources.where(option.string_key) + ": a secret in a file every user can read (mode 0" +
                        mode.str() + "); make it readable by sfcrimed alone (chmod 600 " + file +
                        "), or move the secret into a file of its own and add it with a second --config");
    }
  }
}

// Parses one ini file, checking that it names only settings sfcrimed has.
po::parsed_options parse_file(const std::string& file, const po::options_description& options, Sources& sources) {
  std::ifstream in(file);
  if (!in) {
    throw ConfigError(file + ": cannot read the configuration file (" + std::generic_category().message(errno) +
                      "); check the path given to --config");
  }
  sources.from_file(file);
  po::parsed_options parsed(&options);
  try {
    parsed = po::parse_config_file(in, options, true);
  } catch (const po::error& e) {
    const std::string name = option_name(e);
    throw ConfigError((name.empty() ? file : sources.where(name)) + ": " + e.what());
  }
  for (const auto& option : parsed.options) {
    if (option.unregistered && section_of(option.string_key) == nullptr) {
      const auto dot = option.string_key.find('.');
      throw ConfigError(sources.where(option.string_key) + ": unknown setting '" + option.string_key.substr(dot + 1) +
                        "' in [" + option.string_key.substr(0, dot) + "]; etc/sfcrimed.ini lists every setting");
    }
  }
  refuse_readable_secrets(file, parsed, sources);
  return parsed;
}

// Parses the ini files, in the order given, into `values` under what they already hold
// (the command line). program_options keeps the first value stored, so the files are
// stored last one first: a later file overrides an earlier one.
std::vector<po::parsed_options> read_files(const std::vector<std::string>& files,
                                           const po::options_description& options, po::variables_map& values,
                                           Sources& sources) {
  std::vector<po::parsed_options> parsed;
  parsed.reserve(files.size());
  for (const auto& file : files) {
    parsed.push_back(parse_file(file, options, sources));
  }
  std::for_each(parsed.rbegin(), parsed.rend(), [&](const po::parsed_options& file) {
    try {
      po::store(file, values);
    } catch (const po::error& e) {
      throw ConfigError(sources.where(option_name(e)) + ": " + e.what());
    }
  });

  return parsed;
}

// The files librdkafka properties name (ssl.key.location, ssl.ca.location, ...): librdkafka
// opens them only when a client is made, so a missing key would otherwise show as a
// failed connection, not as the configuration error it is.
void check_files(const KafkaSection& section, const kafka::Settings& properties, const Sources& sources) {
  for (const auto& [property, value] : properties) {
    const bool names_file = property.ends_with(".location") || property == "sasl.kerberos.keytab";
    if (names_file && !value.empty() && value != "probe" && ::access(value.c_str(), R_OK) != 0) {
      bad(sources, std::string(section.name) + "." + property,
          "cannot read '" + value + "' (" + std::generic_category().message(errno) +
              "); check the path, and that sfcrimed's user may read it");
    }
  }
}

// librdkafka's properties: the fixed ones, the documented ones (default, file or command
// line), then pass-through ones from the files in order, then from the command line (the
// last one wins); then librdkafka itself checks them.
void read_kafka_sections(const po::variables_map& values, const std::vector<const po::parsed_options*>& parsed,
                         Config& config, const Sources& sources) {
  for (const auto* section : settings::kafka_sections()) {
    config.*section->properties = section->fixed;
    for (const auto& [property, value] : section->documented) {
      const std::string name = std::string(section->name) + "." + property;
      pass_through(*section, config.*section->properties, sources, name, values[name].as<std::string>());
    }
  }
  for (const auto* options : parsed) {
    for (const auto& option : options->options) {
      if (option.unregistered) {
        if (option.value.empty()) {
          bad(sources, option.string_key, "needs a value (--" + option.string_key + "=VALUE)");
        }
        const KafkaSection* section = section_of(option.string_key);
        pass_through(*section, config.*section->properties, sources, option.string_key, option.value.front());
      }
    }
  }
  for (const auto* section : settings::kafka_sections()) {
    try {
      kafka::make_conf(config.*section->properties);
    } catch (const kafka::SettingError& e) {
      bad(sources, std::string(section->name) + "." + e.name(), e.what());
    }
    check_files(*section, config.*section->properties, sources);
  }
}

// sfcrimed's own settings: the durations and choices read from their text, then each
// checked, in the table's order (the first wrong one is reported).
void read_settings(const po::variables_map& values, Config& config, const Sources& sources) {
  for (const auto& setting : settings::table()) {
    if (const std::string wrong = settings::read(setting, values, config); !wrong.empty()) {
      bad(sources, std::string(setting.name), wrong);
    }
  }
  for (const auto& setting : settings::table()) {
    if (const std::string wrong = settings::check(setting, config); !wrong.empty()) {
      bad(sources, std::string(setting.name), wrong);
    }
  }
}

// One section of librdkafka properties as ini lines, each property once (its last value).
void print_properties(std::ostream& out, const kafka::Settings& properties) {
  std::map<std::string, std::string> last;
  for (const auto& [property, value] : properties) {
    last[property] = value;
  }
  for (const auto& [property, value] : last) {
    out << property << " = " << (is_secret_property(property) ? "********" : value) << "\n";
  }
}

}  // namespace

kafka::Settings default_producer_settings() { return defaults_of(settings::producer_section()); }
kafka::Settings default_consumer_settings() { return defaults_of(settings::consumer_section()); }

std::string dlq_topic(const Config& config) {
  return config.pipeline.dlq_topic.empty() ? config.kafka.topic + ".dlq" : config.pipeline.dlq_topic;
}
std::string stats_topic(const Config& config) {
  return config.pipeline.stats_topic.empty() ? config.kafka.topic + ".stats" : config.pipeline.stats_topic;
}
std::string state_topic(const Config& config) {
  return config.pipeline.state_topic.empty() ? config.kafka.topic + ".state" : config.pipeline.state_topic;
}
std::string windows_topic(const Config& config) {
  return config.pipeline.windows_topic.empty() ? config.kafka.topic + ".windows" : config.pipeline.windows_topic;
}
std::string windows_group(const Config& config) { return config.pipeline.group + ".windows"; }

std::string pipeline_instance(const Config& config) {
  if (!config.pipeline.instance.empty()) {
    return config.pipeline.instance;
  }
  std::array<char, 256> host{};
  return ::gethostname(host.data(), host.size() - 1) == 0 && host[0] != '\0' ? std::string(host.data()) : "sfcrimed";
}

std::string pipeline_member(const Config& config, int thread) {
  return config.pipeline.group + "." + config.kafka.topic + "." + pipeline_instance(config) + "." +
         std::to_string(thread);
}

std::string windows_member(const Config& config) {
  return config.pipeline.group + "." + config.kafka.topic + "." + pipeline_instance(config) + ".windows";
}

Invocation parse_invocation(int argc, const char* const* argv) {
  Invocation invocation;
  Config& config = invocation.config;  // the defaults, until the file and command line change them
  const po::options_description in_file = setting_options(config);
  po::options_description all;
  all.add(command_options(config)).add(in_file);
  std::ostringstream help;
  help << all;
  invocation.help = help.str();

  // The command line is parsed first, for the file it names and the commands that read
  // none; what it sets stays set (program_options keeps the first value stored), so the
  // file fills in only what the command line leaves out.
  Sources sources;
  po::variables_map values;
  const po::parsed_options command_line = read_command_line(argc, argv, all, values, sources);
  if (values.count("help") != 0U || values.count("version") != 0U) {
    invocation.action = values.count("help") != 0U ? Action::help : Action::version;
    return invocation;  // no file read, nothing checked: these always answer
  }
  std::vector<std::string> file_names;
  if (values.count("config") != 0U) {
    file_names = values["config"].as<std::vector<std::string>>();
  }
  if (auto credentials = systemd_credentials()) {
    file_names.push_back(std::move(*credentials));
  }
  const std::vector<po::parsed_options> files = read_files(file_names, in_file, values, sources);
  try {
    po::notify(values);
  } catch (const po::error& e) {
    throw ConfigError(sources.where(option_name(e)) + ": " + e.what());
  }
  config.files = std::move(file_names);  // notify() stored the command line's alone
  std::vector<const po::parsed_options*> in_order;
  in_order.reserve(files.size() + 1);
  for (const auto& file : files) {
    in_order.push_back(&file);
  }
  in_order.push_back(&command_line);
  read_kafka_sections(values, in_order, config, sources);
  read_settings(values, config, sources);

  if (values.count("print-config") != 0U) {
    invocation.action = Action::print_config;
  } else if (values.count("check-config") != 0U) {
    invocation.action = Action::check_config;
  }
  return invocation;
}

Config read_config_files(const std::vector<std::string>& files) {
  // The daemon's own parse, its ingest switched off: what a file says is checked, but
  // nothing needs a calls file.
  std::vector<std::string> arguments = {"sfcrimed", "--ingest.enabled=false"};
  for (const auto& file : files) {
    arguments.insert(arguments.end(), {"--config", file});
  }
  std::vector<const char*> argv;
  argv.reserve(arguments.size());
  for (const auto& argument : arguments) {
    argv.push_back(argument.c_str());
  }
  return parse_invocation(static_cast<int>(argv.size()), argv.data()).config;
}

std::string files_text(const Config& config) {
  std::string text;
  for (const auto& file : config.files) {
    text += (text.empty() ? "" : ", ") + file;
  }
  return text;
}

bool is_secret_property(std::string_view property) {
  // Passwords and passphrases, OAuth client secrets and configurations, and keys given as
  // PEM text (a key's *location* is a path, not a secret).
  constexpr std::array<std::string_view, 4> kSecretWords = {"password", "secret", "passphrase", "oauthbearer.config"};
  const bool pem_key = property.ends_with(".pem") && property.find("key") != std::string_view::npos;
  return pem_key || std::ranges::any_of(kSecretWords, [&](std::string_view word) {
           return property.find(word) != std::string_view::npos;
         });
}

std::string to_ini(const Config& config) {
  std::ostringstream out;
  out << "# sfcrimed effective configuration" << (config.files.empty() ? "" : " (from " + files_text(config) + ")")
      << "\n";
  for (const std::string_view section : settings::sections()) {
    out << (section == settings::sections().front() ? "" : "\n") << "[" << section << "]\n";
    if (const KafkaSection* kafka = settings::kafka_section(section); kafka != nullptr) {
      print_properties(out, config.*kafka->properties);
    }
    for (const auto& setting : settings::table()) {
      if (setting.section() == section) {
        out << setting.key() << " = " << settings::text(setting, config) << "\n";
      }
    }
  }
  return out.str();
}

}  // namespace sfcrimed
