// The sfcrimed service: configuration, metrics endpoint, the ingest thread, and signals
// on a Boost.Asio loop in the main thread.
//
// Signals: SIGTERM or SIGINT stops the ingest (what is in flight is flushed and
// accounted for) and exits; a second one exits at once. SIGHUP is logged and otherwise
// ignored: logs go to stderr (journald under systemd), so there is no file to reopen, and
// configuration changes take effect by restart.

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

#include "commands.hpp"
#include "sfcrimed/config.hpp"
#include "sfcrimed/ingest.hpp"
#include "sfcrimed/log.hpp"
#include "sfcrimed/metrics.hpp"
#include "sfcrimed/version.hpp"

namespace sfcrimed::daemon {
namespace {

constexpr const char* kUsage =
    "Usage: sfcrimed [--config FILE] [--drain] [--SECTION.KEY VALUE ...]\n"
    "       sfcrimed sample --records N [--seed S] --out FILE\n"
    "       sfcrimed consume --bootstrap HOST:PORT --topic T [--from-beginning] [...]\n"
    "       sfcrimed stats --bootstrap HOST:PORT --topic T [--json] [--windows] [...]\n\n"
    "Replays San Francisco police calls for service into Kafka (the ingest thread) and turns them into\n"
    "live crime statistics. Settings come from the defaults, then the ini file (--config, see\n"
    "etc/sfcrimed.ini), then the command line, where [ingest] rate = 500 is --ingest.rate 500.\n\n"
    "Examples:\n"
    "  sfcrimed sample --records 10000 --out calls.json\n"
    "  sfcrimed --config etc/sfcrimed.ini --ingest.file calls.json --ingest.rate 100\n"
    "  sfcrimed --ingest.file calls.json --ingest.rate 0 --pipeline.enabled false --drain\n"
    "  sfcrimed consume --bootstrap localhost:9092 --topic sf.police.calls --from-beginning\n\n";

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

}  // namespace

int run_service(int argc, const char* const* argv) {
  Invocation invocation;
  try {
    invocation = parse_invocation(argc, argv);
  } catch (const ConfigError& e) {
    std::cerr << "sfcrimed: configuration error: " << e.what() << "\n";
    return kExitConfig;
  }
  const Config& config = invocation.config;
  switch (invocation.action) {
    case Action::help:
      std::cout << kUsage << invocation.help;
      return 0;
    case Action::version:
      std::cout << version() << "\n" << dependency_versions();
      return 0;
    case Action::print_config:
      std::cout << to_ini(config);
      return 0;
    case Action::check_config:
      std::cout << "sfcrimed: configuration is valid" << (config.file.empty() ? "" : " (" + config.file + ")") << "\n";
      return 0;
    case Action::run:
      break;
  }

  log::set_level(config.log_level);
  log::info("sfcrimed", version() + " starting" + (config.file.empty() ? "" : ", configuration " + config.file));
  log_config(config);
  if (config.pipeline.enabled) {
    log::warning("sfcrimed",
                 "the statistics pipeline is not part of this version yet; running the ingest only "
                 "(set pipeline.enabled = false to silence this)");
  }

  Metrics metrics;
  if (!config.metrics.listen.empty()) {
    try {
      metrics.serve(config.metrics.listen);
      log::info("metrics", "serving http://" + config.metrics.listen + "/metrics");
    } catch (const std::exception& e) {
      log::error("metrics", e.what());
      return kExitUnavailable;
    }
  }

  boost::asio::io_context io;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
  std::stop_source stop;
  int signals_seen = 0;
  bool ingest_done = false;
  std::optional<IngestReport> report;
  int exit_status = 0;

  std::function<void(const boost::system::error_code&, int)> on_signal = [&](const boost::system::error_code& error,
                                                                             int number) {
    if (error) {
      return;
    }
    if (number == SIGHUP) {
      log::notice("sfcrimed", "SIGHUP: logs go to stderr, nothing to reopen; restart to apply new settings");
    } else if (++signals_seen == 1) {
      log::notice("sfcrimed",
                  std::string(number == SIGINT ? "SIGINT" : "SIGTERM") + ": stopping (a second signal exits at once)");
      stop.request_stop();
      if (ingest_done) {
        io.stop();
      }
    } else {
      log::warning("sfcrimed", "second signal: exiting now, without waiting for delivery reports");
      std::_Exit(128 + number);
    }
    signals.async_wait(on_signal);
  };
  signals.async_wait(on_signal);

  // The ingest (configuration guarantees it is enabled while there is no pipeline).
  std::jthread ingest_thread([&] {
    int status = 0;
    std::optional<IngestReport> result;
    try {
      Ingest ingest(config, metrics);
      result = ingest.run(stop.get_token());
      status = result->failed > 0 || result->sent != result->acked + result->failed ? kExitFailed : 0;
    } catch (const CallFileError& e) {
      log::error("ingest", e.what());
      status = kExitDataError;
    } catch (const std::exception& e) {
      log::error("ingest", std::string("cannot replay into Kafka at ") + config.kafka.bootstrap + ": " + e.what());
      status = kExitUnavailable;
    }
    boost::asio::post(io, [&, status, result] {
      ingest_done = true;
      report = result;
      exit_status = status;
      if (config.drain || stop.stop_requested() || status != 0) {
        io.stop();
      }
    });
  });

  io.run();
  stop.request_stop();
  ingest_thread.join();
  io.restart();
  io.poll();  // the ingest thread's last post, if the loop stopped before it ran
  if (config.drain) {
    std::string summary = "{";
    if (report) {
      summary += "\"ingest\":" + report->to_json();
    }
    std::cout << summary << "}" << std::endl;
  }
  log::info("sfcrimed", "exiting with status " + std::to_string(exit_status));
  return exit_status;
}

}  // namespace sfcrimed::daemon
