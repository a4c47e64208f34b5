// `sfcrimed` without a subcommand: the configuration's answers (--help, --version,
// --print-config, --check-config), logging, and the service itself (service.hpp).

#include <csignal>
#include <iostream>
#include <sstream>

#include "commands.hpp"
#include "service.hpp"
#include "sfcrimed/config.hpp"
#include "sfcrimed/log.hpp"
#include "sfcrimed/version.hpp"

namespace sfcrimed::daemon {
namespace {

constexpr const char* kUsage =
    "Usage: sfcrimed [--config FILE]... [--drain] [--SECTION.KEY VALUE ...]\n"
    "       sfcrimed sample --records N [--seed S] --out FILE\n"
    "       sfcrimed consume [--config FILE]... [--bootstrap HOST:PORT] --topic T [--from-beginning] [...]\n"
    "       sfcrimed stats [--config FILE]... [--bootstrap HOST:PORT] [--topic T] [--json] [--windows] [...]\n"
    "       sfcrimed hash-password [--user NAME] < FILE      # a bcrypt hash for metrics.users\n\n"
    "Replays San Francisco police calls for service into Kafka (the ingest thread) and turns them into\n"
    "live crime statistics (the pipeline's threads): calls per crime type and per disposition in\n"
    "tumbling windows, exact across crashes, in the stats topic <topic>.stats and the log; malformed\n"
    "calls go to <topic>.dlq. Settings come from the defaults, then the ini files (--config, see\n"
    "etc/sfcrimed.ini; a later file overrides an earlier one), then the command line, where\n"
    "[ingest] rate = 500 is --ingest.rate 500. librdkafka properties go in [client] (every Kafka\n"
    "client: TLS, SASL), [producer] and [consumer], or as --client.NAME=VALUE; a secured cluster's\n"
    "settings and credentials: docs/security.md.\n\n"
    "Examples:\n"
    "  sfcrimed sample --records 10000 --out calls.json\n"
    "  sfcrimed --config etc/sfcrimed.ini --ingest.file calls.json --ingest.rate 100\n"
    "  sfcrimed --ingest.file calls.json --ingest.rate 0 --pipeline.enabled false --drain\n"
    "  sfcrimed --ingest.enabled false --pipeline.threads 4 --drain     # the pipeline alone, to the end\n"
    "  sfcrimed stats --bootstrap localhost:9092 --topic sf.police.calls --top 10\n"
    "  sfcrimed --config etc/sfcrimed.ini --config credentials.ini    # [client] sasl.password in a 0600 file\n"
    "  sfcrimed consume --bootstrap localhost:9092 --topic sf.police.calls --from-beginning\n\n"
    "As a service (systemd/sfcrimed.service): HTTP on metrics.listen serves the live page (/), /metrics\n"
    "(Prometheus), /healthz and /readyz; SIGTERM or SIGINT stops gracefully (the ingest flushed, the pipeline's work\n"
    "committed; 20 s at most), a second one exits at once; SIGHUP reopens log.file; settings change\n"
    "by restart, and a restart resumes where the last run stopped. Exit statuses: 0 done or stopped,\n"
    "1 calls failed to deliver or the stop outlasted 20 s, 65 the calls file is not calls, 69 Kafka or\n"
    "the HTTP port unusable, 78 a configuration error (file:line, setting, what is wrong).\n";

// What an invocation that does not run the service prints; its exit status.
int answer(const Invocation& invocation) {
  const Config& config = invocation.config;
  switch (invocation.action) {
    case Action::help:
      std::cout << kUsage << invocation.help;
      break;
    case Action::version:
      std::cout << version() << "\n" << dependency_versions();
      break;
    case Action::print_config:
      std::cout << to_ini(config);
      break;
    case Action::check_config:
      std::cout << "sfcrimed: configuration is valid" << (config.files.empty() ? "" : " (" + files_text(config) + ")")
                << "\n";
      break;
    case Action::run:
      break;
  }
  return 0;
}

// Logs the effective configuration, one line per line of its ini text.
void log_config(const Config& config) {
  std::istringstream lines(to_ini(config));
  std::string line;
  std::string section;
  while (std::getline(lines, line)) {
    if (line.empty() || line.front() == '#') {
      continue;
    }
    if (line.front() == '[') {
      section = line;
      continue;
    }
    std::string entry = section;
    entry += ' ';
    entry += line;
    log::info("config", entry);
  }
}

// The log's level and file, and its first lines; the status to exit with when the file
// cannot be opened.
std::optional<int> start_logging(const Config& config) {
  log::set_level(config.log_level);
  if (!config.log_file.empty()) {
    try {
      log::open_file(config.log_file);
    } catch (const std::exception& e) {
      std::cerr << "sfcrimed: configuration error: log.file: " << e.what() << "\n";
      return kExitConfig;
    }
  }
  log::info("sfcrimed",
            version() + " starting" + (config.files.empty() ? "" : ", configuration " + files_text(config)));
  log_config(config);
  return std::nullopt;
}

}  // namespace

int run_service(int argc, const char* const* argv) {
  Invocation invocation;
  try {
    invocation = parse_invocation(argc, argv);
  } catch (const ConfigError& e) {
    std::cerr << "sfcrimed: configuration error: " << e.what() << "\n";
    return kExitConfig;
  }
  if (invocation.action != Action::run) {
    return answer(invocation);
  }
  // Until the service's signal set takes SIGHUP over, a logrotate HUP during the start
  // (which can take seconds: the pipeline's topics, the HTTP port) would end the process,
  // and systemd counts death by SIGHUP as a clean exit, not restarting it.
  std::signal(SIGHUP, SIG_IGN);
  if (const auto status = start_logging(invocation.config)) {
    return *status;
  }
  Service service(invocation.config);
  return service.run();
}

}  // namespace sfcrimed::daemon
