#include "sfcrimed/settings_table.hpp"

#include <unistd.h>
#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <type_traits>

#include "detail/setting_options.hpp"
#include "sfcrimed/duration.hpp"
#include "sfcrimed/listen_address.hpp"
#include "sfcrimed/users_file.hpp"

namespace sfcrimed::settings {
namespace {

namespace po = boost::program_options;
using std::chrono::milliseconds;
using std::chrono::seconds;
using namespace std::chrono_literals;

// The member reached from Config through `Path`: &Config::kafka, &KafkaConfig::topic. The
// folds read (config .* ... .* Path): config.kafka, then its topic.
template <auto... Path>
struct Member {
  using Type = std::remove_cvref_t<decltype((std::declval<Config&>().*....*Path))>;
  static Type& of(Config& config) { return (config.*....*Path); }
  static const Type& of_const(const Config& config) { return (config.*....*Path); }
};

template <auto... Path>
constexpr Field<typename Member<Path...>::Type> field(Check<typename Member<Path...>::Type> check = nullptr) {
  return {&Member<Path...>::of, &Member<Path...>::of_const, check};
}

template <auto... Path, typename E, std::size_t N>
constexpr Choice<E> choice(const std::array<std::pair<std::string_view, E>, N>& names, std::string_view noun) {
  return {field<Path...>(), names, noun};
}

// The checks, each named for what a good value is.

template <int Min, int Max>
std::string from_to(const int& value, const Config& /*config*/) {
  return value < Min || value > Max ? "must be from " + std::to_string(Min) + " to " + std::to_string(Max) : "";
}

std::string not_empty(const std::string& value, const Config& /*config*/) {
  return value.empty() ? "must not be empty" : "";
}

// Kafka takes only these in a static member id (group.instance.id), as in a topic name;
// every thread's id is <group>.<topic>.<instance>.<thread>, so the group and instance take
// them too.
std::string kafka_id_part(const std::string& value, const Config& /*config*/) {
  constexpr std::size_t kMaxLength = 200;  // Kafka's limit for the whole id is 249
  const auto bad = std::find_if_not(value.begin(), value.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
  });
  if (bad != value.end()) {
    return "'" + value + "' has '" + std::string(1, *bad) +
           "', which Kafka refuses in a member or transactional id: use letters, digits, '.', '_' and '-'";
  }
  return value.size() > kMaxLength ? "is longer than " + std::to_string(kMaxLength) + " characters" : "";
}

std::string group_name(const std::string& value, const Config& config) {
  return value.empty() ? "must not be empty" : kafka_id_part(value, config);
}

std::string names_a_broker(const std::string& value, const Config& /*config*/) {
  return value.empty() ? "must name at least one broker (host:port)" : "";
}

std::string outlasts_a_failover(const milliseconds& value, const Config& /*config*/) {
  return value < 1s ? "must be at least 1s: a broker's failover takes seconds" : "";
}

std::string at_least_a_second(const milliseconds& value, const Config& /*config*/) {
  return value < 1s ? "must be at least 1s" : "";
}

std::string transaction_interval(const milliseconds& value, const Config& /*config*/) {
  return value < 10ms ? "must be at least 10ms (each commit is a Kafka transaction)" : "";
}

std::string divides_a_day(const seconds& value, const Config& /*config*/) {
  constexpr seconds kDay = 24h;
  return value.count() < 1 || kDay.count() % value.count() != 0
             ? "must divide a day into whole windows (1m, 5m, 15m, 1h, 6h, 1d, ...)"
             : "";
}

std::string records_per_second(const double& value, const Config& /*config*/) {
  return value < 0 ? "must be 0 (unlimited) or more records per second" : "";
}

std::string speedup_factor(const double& value, const Config& config) {
  if (value < 0) {
    return "must be 0 (off) or a positive factor";
  }
  if (config.ingest.rate > 0 && value > 0) {
    return "give a rate or a speedup, not both (ingest.rate is " + std::to_string(config.ingest.rate) + ")";
  }
  return "";
}

std::string finishes_for_drain(const bool& loop, const Config& config) {
  return config.drain && loop ? "a looping ingest never finishes, so --drain would never exit" : "";
}

std::string leaves_something_to_run(const bool& enabled, const Config& config) {
  return !config.ingest.enabled && !enabled ? "false, with ingest.enabled false too, leaves nothing to run" : "";
}

std::string unreadable(const std::string& path) {
  return std::ifstream(path) ? "" : "cannot read '" + path + "' (" + std::generic_category().message(errno) + ")";
}

std::string calls_file(const std::string& file, const Config& config) {
  if (!config.ingest.enabled) {
    return "";
  }
  return file.empty() ? "the ingest needs a file of calls (or set ingest.enabled = false)" : unreadable(file);
}

std::string radio_code_table(const std::string& file, const Config& config) {
  return config.pipeline.enabled && !file.empty() ? unreadable(file) : "";
}

std::string listen_address(const std::string& listen, const Config& /*config*/) {
  if (listen.empty()) {
    return "";
  }
  try {
    (void)parse_listen_address(listen);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

// A PEM file holding a block whose first line ends in `marker`: a certificate and a key
// given the wrong way round, or a DER file, are said here rather than as OpenSSL's
// reason at start-up (which also catches what this does not: a key of another certificate).
std::string pem_file(const std::string& file, std::string_view what, std::string_view marker) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return "cannot read '" + file + "' (" + std::generic_category().message(errno) + ")";
  }
  // The start of it is enough (a chain of certificates is a few KiB), and a device given
  // by mistake must not hang the check.
  constexpr std::streamsize kEnough = 1 << 20;
  std::string text(kEnough, '\0');
  in.read(text.data(), kEnough);
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.find(marker) == std::string::npos) {
    return "'" + file + "' holds no PEM " + std::string(what) + " (a line '-----BEGIN ..." + std::string(marker) + "')";
  }
  if (text.find("ENCRYPTED PRIVATE KEY") != std::string::npos ||
      text.find("Proc-Type: 4,ENCRYPTED") != std::string::npos) {
    return "'" + file + "' is encrypted, and a service has nobody to type its pass phrase: decrypt it (openssl pkey)";
  }
  return "";
}

// Both or neither: the check of the one given says so, naming where it was given.
std::string tls_certificate(const std::string& file, const Config& config) {
  if (file.empty()) {
    return "";
  }
  if (config.metrics.tls_key.empty()) {
    return "is set, and metrics.tls_key is not: give both (HTTPS) or neither (plain HTTP)";
  }
  return pem_file(file, "certificate", "CERTIFICATE-----");
}

std::string tls_key(const std::string& file, const Config& config) {
  if (file.empty()) {
    return "";
  }
  if (config.metrics.tls_certificate.empty()) {
    return "is set, and metrics.tls_certificate is not: give both (HTTPS) or neither (plain HTTP)";
  }
  return pem_file(file, "private key", "PRIVATE KEY-----");
}

// Every line name:bcrypt-hash (the file and line of the first that is not, never the hash).
std::string users_file(const std::string& file, const Config& /*config*/) {
  if (file.empty()) {
    return "";
  }
  try {
    (void)read_users_file(file);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

// Writable if it exists, or creatable in its directory: checked here so that a typo is a
// configuration error, not a daemon that starts and cannot log.
std::string log_file(const std::string& file, const Config& /*config*/) {
  if (file.empty()) {
    return "";
  }
  const auto slash = file.rfind('/');
  const std::string directory = slash == std::string::npos ? "." : file.substr(0, std::max<std::size_t>(slash, 1));
  const bool exists = ::access(file.c_str(), F_OK) == 0;
  if (::access(exists ? file.c_str() : directory.c_str(), W_OK) != 0) {
    return "cannot write to '" + (exists ? file : directory) + "' (" + std::generic_category().message(errno) + ")";
  }
  return "";
}

constexpr std::array<std::pair<std::string_view, ReplayOrder>, 2> kOrders{
    {{"time", ReplayOrder::event_time}, {"file", ReplayOrder::file}}};
constexpr std::array<std::pair<std::string_view, OnBadRecord>, 2> kOnBadRecord{
    {{"skip", OnBadRecord::skip}, {"fail", OnBadRecord::fail}}};
constexpr std::array<std::pair<std::string_view, log::Level>, 5> kLevels{{{"error", log::Level::error},
                                                                          {"warning", log::Level::warning},
                                                                          {"notice", log::Level::notice},
                                                                          {"info", log::Level::info},
                                                                          {"debug", log::Level::debug}}};
constexpr std::string_view kAChoice = "one of the choices";

constexpr auto kTable = std::to_array<Setting>({
    {"kafka.bootstrap", "Kafka bootstrap servers, host:port[,host:port...]",
     field<&Config::kafka, &KafkaConfig::bootstrap>(names_a_broker)},
    {"kafka.topic", "the calls topic (created with kafka.partitions partitions when missing)",
     field<&Config::kafka, &KafkaConfig::topic>(not_empty)},
    {"kafka.partitions", "partitions of the topics sfcrimed creates",
     field<&Config::kafka, &KafkaConfig::partitions>(from_to<1, 1000>)},
    {"kafka.unavailable_timeout",
     "how long sfcrimed keeps retrying what a failover makes transient (a leader or coordinator moving, a broker "
     "down or frozen, a request timing out) before it gives up and exits 69",
     field<&Config::kafka, &KafkaConfig::unavailable_timeout>(outlasts_a_failover)},
    {"kafka.stall_timeout",
     "a part (the ingest, a pipeline thread) with work waiting that makes no progress this long, or a Kafka call "
     "this long past its deadline, is stuck: /healthz answers 503 and the systemd watchdog pings stop",
     field<&Config::kafka, &KafkaConfig::stall_timeout>(at_least_a_second)},

    {"ingest.enabled", "run the ingest thread", field<&Config::ingest, &IngestConfig::enabled>()},
    {"ingest.file", "calls to replay: a JSON array or JSON lines, optionally .gz or .bz2 (see `sfcrimed sample`)",
     field<&Config::ingest, &IngestConfig::file>(calls_file)},
    {"ingest.order", "time: replay by call_date_time, oldest first; file: as the file has them",
     choice<&Config::ingest, &IngestConfig::order>(kOrders, kAChoice)},
    {"ingest.rate", "records per second; 0 sends as fast as the broker takes them (1 is the classic exercise's pace)",
     field<&Config::ingest, &IngestConfig::rate>(records_per_second)},
    {"ingest.speedup", "instead of a rate: replay the gaps between calls' times this many times faster (0: off)",
     field<&Config::ingest, &IngestConfig::speedup>(speedup_factor)},
    {"ingest.loop", "start over at the end of the file",
     field<&Config::ingest, &IngestConfig::loop>(finishes_for_drain)},
    {"ingest.resume",
     "start after the calls an earlier run of the same file and order left in the calls topic (found from each "
     "partition's last message); false replays from the start",
     field<&Config::ingest, &IngestConfig::resume>()},
    {"ingest.on_error", "a bad record: skip (count it, say why, send the rest) or fail (send nothing from the file)",
     choice<&Config::ingest, &IngestConfig::on_error>(kOnBadRecord, kAChoice)},

    {"pipeline.enabled", "run the statistics pipeline (consumer threads)",
     field<&Config::pipeline, &PipelineConfig::enabled>(leaves_something_to_run)},
    {"pipeline.threads", "consumer threads (1-64); the calls topic's partitions are spread over them",
     field<&Config::pipeline, &PipelineConfig::threads>(from_to<1, 64>)},
    {"pipeline.group", "the pipeline's consumer group, also the prefix of its transactional ids",
     field<&Config::pipeline, &PipelineConfig::group>(group_name)},
    {"pipeline.instance",
     "this process's name in the group (empty: the host name); each instance of a group needs its own: its threads' "
     "transactional and static member ids are <group>.<kafka.topic>.<instance>.<thread>",
     field<&Config::pipeline, &PipelineConfig::instance>(kafka_id_part)},
    {"pipeline.window", "tumbling window length, e.g. 1h, 15m (whole seconds, dividing a day)",
     field<&Config::pipeline, &PipelineConfig::window>(divides_a_day)},
    {"pipeline.allowed_lateness", "how far behind the latest call time a call may arrive and still count",
     field<&Config::pipeline, &PipelineConfig::allowed_lateness>()},
    {"pipeline.commit_interval",
     "how often results, dead letters and offsets are committed together (one Kafka transaction)",
     field<&Config::pipeline, &PipelineConfig::commit_interval>(transaction_interval)},
    {"pipeline.emit_interval",
     "also emit open windows' changed counts this often (0: only closed windows' final counts)",
     field<&Config::pipeline, &PipelineConfig::emit_interval>()},
    {"pipeline.idle_timeout",
     "a partition that has read everything and had no call for this long closes its open windows, so that they "
     "become final; a call for one of them afterwards is late (0: windows close by event time only)",
     field<&Config::pipeline, &PipelineConfig::idle_timeout>()},
    {"pipeline.progress_interval", "how often the progress line is logged (0: never)",
     field<&Config::pipeline, &PipelineConfig::progress_interval>()},
    {"pipeline.radio_codes",
     "radio-code table in the radio_code.json format (empty: the built-in etc/radio_codes.json)",
     field<&Config::pipeline, &PipelineConfig::radio_codes>(radio_code_table)},
    {"pipeline.dlq_topic", "dead-letter topic for malformed calls (empty: <kafka.topic>.dlq)",
     field<&Config::pipeline, &PipelineConfig::dlq_topic>()},
    {"pipeline.stats_topic", "compacted topic of window counts (empty: <kafka.topic>.stats)",
     field<&Config::pipeline, &PipelineConfig::stats_topic>()},
    {"pipeline.state_topic", "compacted topic of the pipeline's recoverable state (empty: <kafka.topic>.state)",
     field<&Config::pipeline, &PipelineConfig::state_topic>()},
    {"pipeline.windows_topic",
     "compacted topic of merged windows, one message per window over all partitions (empty: <kafka.topic>.windows)",
     field<&Config::pipeline, &PipelineConfig::windows_topic>()},

    {"metrics.listen", "address:port of the HTTP endpoint: the live page (/), /metrics, /healthz, /readyz; empty: none",
     field<&Config::metrics, &MetricsConfig::listen>(listen_address)},
    {"metrics.tls_certificate",
     "PEM certificate chain (the server's first) for HTTPS on metrics.listen, with metrics.tls_key; empty: plain HTTP",
     field<&Config::metrics, &MetricsConfig::tls_certificate>(tls_certificate)},
    {"metrics.tls_key", "PEM private key (unencrypted) of metrics.tls_certificate",
     field<&Config::metrics, &MetricsConfig::tls_key>(tls_key)},
    {"metrics.users",
     "file of name:bcrypt-hash lines (htpasswd -nbB, or sfcrimed hash-password --user NAME): every path then needs "
     "one's name and password (HTTP basic authentication); empty: none",
     field<&Config::metrics, &MetricsConfig::users>(users_file)},
    {"metrics.open_healthz", "serve /healthz without authentication (for probes that cannot send a password)",
     field<&Config::metrics, &MetricsConfig::open_healthz>()},

    {"log.level", "error, warning, notice, info or debug", choice<&Config::log_level>(kLevels, "a level")},
    {"log.file", "append log lines to this file, reopened on SIGHUP (for logrotate); empty: stderr",
     field<&Config::log_file>(log_file)},
});

constexpr std::array<std::string_view, 8> kSections = {"kafka",    "client",   "ingest",  "producer",
                                                       "pipeline", "consumer", "metrics", "log"};

// A value as the ini file writes it.
std::string as_text(const std::string& value) { return value; }
std::string as_text(int value) { return std::to_string(value); }
std::string as_text(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}
std::string as_text(bool value) { return value ? "true" : "false"; }
std::string as_text(milliseconds value) { return format_duration(value); }
std::string as_text(seconds value) { return format_duration(value); }

template <typename T>
std::string text_of(const Field<T>& field, const Config& config) {
  return as_text(field.of_const(config));
}
template <typename E>
std::string text_of(const Choice<E>& choice, const Config& config) {
  const E value = choice.field.of_const(config);
  const auto named = std::ranges::find(choice.names, value, &std::pair<std::string_view, E>::second);
  return named == choice.names.end() ? "" : std::string(named->first);
}

template <typename T>
std::string check_of(const Field<T>& field, const Config& config) {
  return field.check == nullptr ? "" : field.check(field.of_const(config), config);
}
template <typename E>
std::string check_of(const Choice<E>& choice, const Config& config) {
  return check_of(choice.field, config);
}

// Strings, numbers and flags: program_options stores them in Config, and says what is
// wrong with a value that is not one of its type.
template <typename T>
po::value_semantic* option_of(const Field<T>& field, Config& config, const Config& defaults) {
  return po::value<T>(&field.of(config))->default_value(field.of_const(defaults), text_of(field, defaults));
}
po::value_semantic* option_of(const Field<std::string>& field, Config& config, const Config& defaults) {
  auto* value = po::value<std::string>(&field.of(config));
  if (const std::string& text = field.of_const(defaults); !text.empty()) {
    value->default_value(text);
  }
  return value;
}
// Durations and choices: handed over as text, for read_of().
template <typename T>
po::value_semantic* text_option(const T& value, const Config& defaults) {
  return po::value<std::string>()->default_value(text_of(value, defaults));
}
po::value_semantic* option_of(const Field<milliseconds>& field, Config& /*config*/, const Config& defaults) {
  return text_option(field, defaults);
}
po::value_semantic* option_of(const Field<seconds>& field, Config& /*config*/, const Config& defaults) {
  return text_option(field, defaults);
}
template <typename E>
po::value_semantic* option_of(const Choice<E>& choice, Config& /*config*/, const Config& defaults) {
  return text_option(choice, defaults);
}

template <typename T>
std::string read_of(const Field<T>& /*field*/, const po::variable_value& /*value*/, Config& /*config*/) {
  return "";  // program_options has stored it
}
// The duration `text` writes, into `duration`; or what is wrong with it.
std::string read_duration(const std::string& text, milliseconds& duration) {
  const auto parsed = parse_duration(text);
  if (!parsed || parsed->count() < 0) {
    return "'" + text + "' is not a duration; write it as 250ms, 30s, 15m, 1h or 1d";
  }
  duration = *parsed;
  return "";
}
std::string read_of(const Field<milliseconds>& field, const po::variable_value& value, Config& config) {
  return read_duration(value.as<std::string>(), field.of(config));
}
std::string read_of(const Field<seconds>& field, const po::variable_value& value, Config& config) {
  milliseconds duration{};
  if (std::string wrong = read_duration(value.as<std::string>(), duration); !wrong.empty()) {
    return wrong;
  }
  if (duration.count() % 1000 != 0) {
    return "must be whole seconds";
  }
  field.of(config) = std::chrono::duration_cast<seconds>(duration);
  return "";
}
template <typename E>
std::string read_of(const Choice<E>& choice, const po::variable_value& value, Config& config) {
  const auto& text = value.as<std::string>();
  std::string names;
  for (std::size_t i = 0; i < choice.names.size(); ++i) {
    if (choice.names[i].first == text) {
      choice.field.of(config) = choice.names[i].second;
      return "";
    }
    names += (i == 0 ? "" : i + 1 == choice.names.size() ? " or " : ", ") + std::string(choice.names[i].first);
  }
  return "'" + text + "' is not " + std::string(choice.noun) + "; use " + names;
}

}  // namespace

std::span<const Setting> table() { return kTable; }

std::span<const std::string_view> sections() { return kSections; }

const KafkaSection& producer_section() {
  static const KafkaSection section{
      "producer",
      &Config::producer,
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
      &Config::consumer,
      {{"enable.auto.commit", "false"}, {"isolation.level", "read_committed"}},
      "(offsets commit in the pipeline's transactions, with the results they produced): every call counts once",
      {
          {"group.protocol", "classic"},
          {"session.timeout.ms", "45000"},
          {"fetch.wait.max.ms", "100"},
          {"fetch.min.bytes", "1"},
          {"max.partition.fetch.bytes", "16777216"},
          {"fetch.max.bytes", "52428800"},
          {"queued.min.messages", "100000"},
          {"queued.max.messages.kbytes", "65536"},
          {"statistics.interval.ms", "5000"},
      }};
  return section;
}

const KafkaSection& client_section() {
  // Nothing fixed and no defaults: the connection is the operator's (security.protocol,
  // sasl.*, ssl.*), and librdkafka's defaults are plaintext.
  static const KafkaSection section{"client", &Config::client, {}, "", {}};
  return section;
}

std::span<const KafkaSection* const> kafka_sections() {
  static const std::array<const KafkaSection*, 3> sections = {&client_section(), &producer_section(),
                                                              &consumer_section()};
  return sections;
}

const KafkaSection* kafka_section(std::string_view name) {
  for (const auto* section : kafka_sections()) {
    if (section->name == name) {
      return section;
    }
  }
  return nullptr;
}

std::string text(const Setting& setting, const Config& config) {
  return std::visit([&](const auto& value) { return text_of(value, config); }, setting.value);
}

std::string check(const Setting& setting, const Config& config) {
  return std::visit([&](const auto& value) { return check_of(value, config); }, setting.value);
}

po::value_semantic* option(const Setting& setting, Config& config, const Config& defaults) {
  return std::visit([&](const auto& value) { return option_of(value, config, defaults); }, setting.value);
}

std::string read(const Setting& setting, const po::variables_map& values, Config& config) {
  const po::variable_value& value = values[std::string(setting.name)];
  return std::visit([&](const auto& field) { return read_of(field, value, config); }, setting.value);
}

}  // namespace sfcrimed::settings
