// The sfcrimed service: configuration, the HTTP endpoint (/metrics, /healthz, /readyz,
// the live page and its data), the ingest thread, the pipeline's threads, and signals,
// timers and the service manager's notifications on a Boost.Asio loop in the main thread.
//
// Signals: SIGTERM or SIGINT stops the ingest (what is in flight is flushed and
// accounted for) and the pipeline (its work so far committed), and exits 0; a second one
// exits at once (nothing is lost: the pipeline resumes from its last commit, the ingest
// from the last call in the topic). SIGHUP reopens the log file (log.file) for logrotate;
// configuration changes take effect by restart.
//
// Under systemd (Type=notify): READY=1 once the HTTP endpoint listens and every pipeline
// thread has its partitions, STATUS= with each progress line, STOPPING=1 when it begins
// to stop, WATCHDOG=1 from the loop when the unit sets WatchdogSec=.

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

#include "commands.hpp"
#include "live_page.hpp"
#include "sfcrimed/client_settings.hpp"
#include "sfcrimed/config.hpp"
#include "sfcrimed/health.hpp"
#include "sfcrimed/http_server.hpp"
#include "sfcrimed/ingest.hpp"
#include "sfcrimed/kafka_retry.hpp"
#include "sfcrimed/kafka_settings.hpp"
#include "sfcrimed/live_view.hpp"
#include "sfcrimed/log.hpp"
#include "sfcrimed/metrics.hpp"
#include "sfcrimed/pipeline.hpp"
#include "sfcrimed/radio_codes.hpp"
#include "sfcrimed/systemd_notify.hpp"
#include "sfcrimed/topic_reader.hpp"
#include "sfcrimed/version.hpp"

namespace sfcrimed::daemon {
namespace {

// How long a stop on SIGTERM may take: flushing the ingest's records in flight and
// committing the pipeline's last transaction take well under a second with a reachable
// broker; without one they would wait out Kafka's timeouts. systemd/sfcrimed.service's
// TimeoutStopSec= (30 s) leaves room above it.
constexpr std::chrono::seconds kGracefulStopLimit{20};

// How often the live page gets a new state: often enough to watch, cheap to compute.
constexpr std::chrono::seconds kLiveUpdateInterval{1};

// How often the parts' health is looked at (/healthz answers from the last look).
constexpr std::chrono::seconds kHealthInterval{1};

constexpr const char* kUsage =
    "Usage: sfcrimed [--config FILE] [--drain] [--SECTION.KEY VALUE ...]\n"
    "       sfcrimed sample --records N [--seed S] --out FILE\n"
    "       sfcrimed consume --bootstrap HOST:PORT --topic T [--from-beginning] [...]\n"
    "       sfcrimed stats --bootstrap HOST:PORT --topic T [--json] [--windows] [...]\n\n"
    "Replays San Francisco police calls for service into Kafka (the ingest thread) and turns them into\n"
    "live crime statistics (the pipeline's threads): calls per crime type and per disposition in\n"
    "tumbling windows, exact across crashes, in the stats topic <topic>.stats and the log; malformed\n"
    "calls go to <topic>.dlq. Settings come from the defaults, then the ini file (--config, see\n"
    "etc/sfcrimed.ini), then the command line, where [ingest] rate = 500 is --ingest.rate 500.\n\n"
    "Examples:\n"
    "  sfcrimed sample --records 10000 --out calls.json\n"
    "  sfcrimed --config etc/sfcrimed.ini --ingest.file calls.json --ingest.rate 100\n"
    "  sfcrimed --ingest.file calls.json --ingest.rate 0 --pipeline.enabled false --drain\n"
    "  sfcrimed --ingest.enabled false --pipeline.threads 4 --drain     # the pipeline alone, to the end\n"
    "  sfcrimed stats --bootstrap localhost:9092 --topic sf.police.calls --top 10\n"
    "  sfcrimed consume --bootstrap localhost:9092 --topic sf.police.calls --from-beginning\n\n"
    "As a service (systemd/sfcrimed.service): HTTP on metrics.listen serves the live page (/), /metrics\n"
    "(Prometheus), /healthz and /readyz; SIGTERM or SIGINT stops gracefully (the ingest flushed, the pipeline's work\n"
    "committed; 20 s at most), a second one exits at once; SIGHUP reopens log.file; settings change\n"
    "by restart, and a restart resumes where the last run stopped. Exit statuses: 0 done or stopped,\n"
    "1 calls failed to deliver or the stop outlasted 20 s, 65 the calls file is not calls, 69 Kafka or\n"
    "the HTTP port unusable, 78 a configuration error (file:line, setting, what is wrong).\n";

// While it exists, every Kafka client's statistics set sfcrimed_kafka_brokers_up.
class BrokerStatesToMetrics {
 public:
  explicit BrokerStatesToMetrics(Metrics& metrics) {
    kafka::on_broker_states([&metrics](const kafka::BrokerStates& states) { metrics.record_broker_states(states); });
  }
  ~BrokerStatesToMetrics() { kafka::on_broker_states({}); }
  BrokerStatesToMetrics(const BrokerStatesToMetrics&) = delete;
  BrokerStatesToMetrics& operator=(const BrokerStatesToMetrics&) = delete;
};

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

// What the stats and dead-letter topics hold from earlier runs, for the live page to go
// on from; empty (and said) when they cannot be read.
StatsTotals published_stats(const Config& config) {
  const kafka::Settings settings = client_settings(config, "sfcrimed-live-start");
  constexpr std::chrono::seconds kTimeout{30};
  StatsTotals totals;
  try {
    kafka::read_stats_topic(settings, stats_topic(config), totals, kTimeout);
    totals.set_malformed(kafka::read_to_end(
        settings, dlq_topic(config), [](const RdKafka::Message&) {}, kTimeout));
  } catch (const kafka::NoSuchTopic&) {
    // A first run: nothing published yet.
  } catch (const std::exception& e) {
    log::warning("live", std::string("the live page starts from zero: cannot read what earlier runs published (") +
                             e.what() + ")");
    return {};
  }
  if (totals.calls() > 0) {
    log::info("live", "the live page goes on from " + std::to_string(totals.calls()) +
                          " calls counted by earlier runs (the stats topic)");
  }
  return totals;
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
  // Until the signal set below takes SIGHUP over, a logrotate HUP during the start (which
  // can take seconds: the pipeline's topics, the HTTP port) would end the process, and
  // systemd counts death by SIGHUP as a clean exit, not restarting it.
  std::signal(SIGHUP, SIG_IGN);

  log::set_level(config.log_level);
  if (!config.log_file.empty()) {
    try {
      log::open_file(config.log_file);
    } catch (const std::exception& e) {
      std::cerr << "sfcrimed: configuration error: log.file: " << e.what() << "\n";
      return kExitConfig;
    }
  }
  log::info("sfcrimed", version() + " starting" + (config.file.empty() ? "" : ", configuration " + config.file));
  log_config(config);

  Metrics metrics;
  const BrokerStatesToMetrics broker_states(metrics);
  Health health(config.kafka.stall_timeout);
  std::optional<Pipeline> pipeline;
  if (config.pipeline.enabled) {
    try {
      pipeline.emplace(config, metrics, health);
    } catch (const RadioCodesError& e) {
      std::cerr << "sfcrimed: configuration error: " << e.what() << "\n";
      return kExitConfig;
    }
  }

  boost::asio::io_context io;
  // Main-thread state, changed only by handlers on the loop.
  enum class Phase { starting, ready, stopping };
  Phase phase = Phase::starting;
  bool ingest_running = config.ingest.enabled;
  bool pipeline_running = config.pipeline.enabled;
  std::optional<IngestReport> ingest_report;
  std::optional<PipelineReport> pipeline_report;
  int exit_status = 0;
  Health::Verdict verdict;  // the last look at the parts' health

  // Ready: the endpoint listens (it is answering) and every pipeline thread has its
  // partitions and their committed state; the reason when not.
  const auto not_ready_because = [&]() -> std::string {
    if (phase == Phase::stopping) {
      return "stopping";
    }
    if (pipeline && pipeline->threads_assigned() < config.pipeline.threads) {
      return "the pipeline is starting: " + std::to_string(pipeline->threads_assigned()) + " of " +
             std::to_string(config.pipeline.threads) + " threads have their partitions";
    }
    return {};
  };
  LiveView live;
  std::string live_state;  // the latest, as pushed to the page
  std::shared_ptr<http::EventStream> live_events;
  std::optional<http::Server> http_server;
  if (!config.metrics.listen.empty()) {
    try {
      http_server.emplace(io, config.metrics.listen);
    } catch (const std::exception& e) {
      log::error("metrics", e.what());
      return kExitUnavailable;
    }
    http_server->route("/metrics", [&metrics] {
      return http::Response{200, "text/plain; version=0.0.4; charset=utf-8", metrics.text()};
    });
    // Alive: the loop answers, no part has failed (a failed part ends the process) and
    // none is stuck (work waiting and no progress, or a Kafka call past its deadline).
    http_server->route("/healthz", [&] {
      if (exit_status != 0) {
        return http::Response{503, "text/plain; charset=utf-8",
                              "failing: exit status " + std::to_string(exit_status) + "\n"};
      }
      return verdict.stuck ? http::Response{503, "text/plain; charset=utf-8", "stuck: " + verdict.reason + "\n"}
                           : http::Response{200, "text/plain; charset=utf-8", "ok\n"};
    });
    http_server->route("/readyz", [&] {
      const std::string reason = not_ready_because();
      return reason.empty() ? http::Response{200, "text/plain; charset=utf-8", "ready\n"}
                            : http::Response{503, "text/plain; charset=utf-8", "not ready: " + reason + "\n"};
    });
    // The live page, and its data: the latest state, its stream, and the totals as
    // `sfcrimed stats --json` prints them.
    for (const auto& file : live_page_files()) {
      http_server->route(std::string(file.path), [&file] {
        return http::Response{200, std::string(file.content_type), std::string(file.body)};
      });
    }
    http_server->route("/api/live", [&] { return http::Response{200, "application/json", live_state + "\n"}; });
    http_server->route("/api/stats", [&] {
      PipelineProgress::Mark scratch;
      const std::uint64_t malformed = pipeline ? pipeline->progress(scratch).malformed : 0;
      return http::Response{200, "application/json", live.stats_json(malformed) + "\n"};
    });
    live_events = http_server->events("/api/events");
    http_server->start();
    const auto endpoint = http_server->endpoint();
    const std::string address = "http://" + endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
    log::notice("metrics", "the live page: " + address + "/ (Prometheus: " + address + "/metrics; " + address +
                               "/healthz, " + address + "/readyz)");
  }

  std::string ready_status;  // once ready: what the service does
  boost::asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
  boost::asio::steady_timer stop_limit(io);
  std::stop_source stop;
  int signals_seen = 0;
  const auto begin_stopping = [&](const std::string& why) {
    if (phase != Phase::stopping) {
      phase = Phase::stopping;
      systemd::notify_stopping(why);
    }
  };
  const auto stop_when_done = [&] {
    if (!ingest_running && !pipeline_running) {
      io.stop();
    }
  };
  // However the stop begins (a signal, a failure, the work done), it is bounded: a part
  // that cannot reach Kafka would otherwise hold the process forever.
  bool stop_limit_armed = false;
  const auto request_stop = [&](const std::string& why) {
    begin_stopping(why);
    stop.request_stop();
    if (std::exchange(stop_limit_armed, true)) {
      return;
    }
    stop_limit.expires_after(kGracefulStopLimit);
    stop_limit.async_wait([&exit_status](const boost::system::error_code& cancelled) {
      if (!cancelled) {
        log::error("sfcrimed", "still stopping after " + std::to_string(kGracefulStopLimit.count()) +
                                   " s (is Kafka reachable?): exiting now; the pipeline resumes from its last "
                                   "commit, the ingest from the last call in the topic");
        std::_Exit(exit_status != 0 ? exit_status : kExitFailed);
      }
    });
  };
  // A part finished. A failure ends the run; so does the pipeline's end (drained or
  // stopped), and the ingest's end with --drain when there is no pipeline to wait for.
  const auto finished = [&](int status, bool ends_the_run) {
    if (status != 0 && exit_status == 0) {
      exit_status = status;
    }
    if (status != 0 || ends_the_run) {
      request_stop(status != 0 ? "stopping after a failure (exit status " + std::to_string(status) + ")"
                               : "stopping: the work is done");
    }
    stop_when_done();
  };

  std::function<void(const boost::system::error_code&, int)> on_signal = [&](const boost::system::error_code& error,
                                                                             int number) {
    if (error) {
      return;
    }
    if (number == SIGHUP) {
      if (config.log_file.empty()) {
        log::notice("sfcrimed", "SIGHUP: logging to stderr, no log file to reopen; restart to apply new settings");
      } else if (log::reopen_file()) {
        log::notice("sfcrimed", "SIGHUP: reopened the log file " + config.log_file + "; restart to apply new settings");
      }
    } else if (++signals_seen == 1) {
      const std::string name = number == SIGINT ? "SIGINT" : "SIGTERM";
      log::notice("sfcrimed", name + ": stopping (a second signal exits at once)");
      request_stop(name + ": stopping; committing the pipeline's work and flushing the ingest");
      stop_when_done();
    } else {
      log::warning("sfcrimed", "second signal: exiting now, without waiting for Kafka");
      std::_Exit(128 + number);
    }
    signals.async_wait(on_signal);
  };
  signals.async_wait(on_signal);

  boost::asio::steady_timer progress(io);
  std::function<void(const boost::system::error_code&)> on_progress = [&](const boost::system::error_code& error) {
    if (error) {
      return;
    }
    const std::string line = pipeline->progress_line();
    log::info("progress", line);
    if (phase == Phase::ready) {
      systemd::notify_status(line);
    }
    progress.expires_after(config.pipeline.progress_interval);
    progress.async_wait(on_progress);
  };
  if (pipeline && config.pipeline.progress_interval.count() > 0) {
    progress.expires_after(config.pipeline.progress_interval);
    progress.async_wait(on_progress);
  }

  // Readiness is polled: the pipeline's threads take their partitions in librdkafka's
  // callbacks, and a look every 50 ms costs nothing.
  boost::asio::steady_timer readiness(io);
  std::function<void(const boost::system::error_code&)> on_readiness = [&](const boost::system::error_code& error) {
    if (error || phase != Phase::starting) {
      return;
    }
    if (not_ready_because().empty()) {
      phase = Phase::ready;
      std::vector<std::string> parts;
      if (config.ingest.enabled) {
        parts.push_back("replaying " + config.ingest.file + " into " + config.kafka.topic);
      }
      if (pipeline) {
        parts.push_back(std::to_string(config.pipeline.threads) + " pipeline threads counting");
      }
      if (!config.metrics.listen.empty()) {
        parts.push_back("metrics on " + config.metrics.listen);
      }
      std::string status = "ready";
      for (const auto& part : parts) {
        status += (&part == parts.data() ? ": " : "; ") + part;
      }
      log::notice("sfcrimed", status);
      systemd::notify_ready(status);
      ready_status = status;
      return;
    }
    readiness.expires_after(std::chrono::milliseconds(50));
    readiness.async_wait(on_readiness);
  };
  boost::asio::post(io, [&] { on_readiness({}); });

  // The watchdog pings come from the loop: a loop that stopped turning stops them.
  boost::asio::steady_timer watchdog(io);
  const auto ping_interval = systemd::watchdog_ping_interval();
  std::function<void(const boost::system::error_code&)> on_watchdog = [&](const boost::system::error_code& error) {
    if (error) {
      return;
    }
    if (!verdict.stuck) {
      systemd::notify_watchdog();  // a stuck part stops the pings: systemd restarts the daemon
    }
    watchdog.expires_after(*ping_interval);
    watchdog.async_wait(on_watchdog);
  };
  if (ping_interval) {
    boost::asio::post(io, [&] { on_watchdog({}); });
  }

  // The parts' health, looked at each second: a part that gets stuck is logged once (and
  // its recovery), and one stuck for longer than kafka.unavailable_timeout ends the run
  // with 69, as a part that gives up on Kafka does.
  boost::asio::steady_timer health_tick(io);
  std::function<void(const boost::system::error_code&)> on_health = [&](const boost::system::error_code& error) {
    if (error) {
      return;
    }
    const Health::Verdict now = health.check();
    if (now.stuck && !verdict.stuck) {
      log::error("health", "stuck: " + now.reason + "; /healthz answers 503" +
                               (ping_interval ? " and the watchdog pings stop (systemd restarts sfcrimed)" : ""));
    } else if (!now.stuck && verdict.stuck) {
      log::notice("health", "no part is stuck any more; /healthz answers 200 again");
    }
    verdict = now;
    if (verdict.stuck && verdict.stuck_for >= config.kafka.unavailable_timeout && exit_status == 0) {
      log::error("health", "stuck for " + format_duration(config.kafka.unavailable_timeout) +
                               " (kafka.unavailable_timeout): giving up: " + verdict.reason);
      finished(kExitUnavailable, true);
    }
    health_tick.expires_after(kHealthInterval);
    health_tick.async_wait(on_health);
  };
  boost::asio::post(io, [&] { on_health({}); });

  // The live page's state, pushed to its open pages each second.
  boost::asio::steady_timer live_tick(io);
  PipelineProgress::Mark live_mark;
  auto ingest_mark = std::make_pair(std::chrono::steady_clock::now(), 0.0);
  std::function<void(const boost::system::error_code&)> on_live_tick = [&](const boost::system::error_code& error) {
    if (error) {
      return;
    }
    LiveFigures figures;
    const std::string not_ready = not_ready_because();
    figures.status = phase == Phase::ready ? ready_status : not_ready.empty() ? "starting" : "not ready: " + not_ready;
    if (pipeline) {
      figures.pipeline = pipeline->progress(live_mark);
    }
    figures.ingest = config.ingest.enabled;
    const auto now = std::chrono::steady_clock::now();
    const double acked = metrics.ingest.acked.Value();
    figures.ingested = static_cast<std::uint64_t>(acked);
    figures.ingest_rate =
        (acked - ingest_mark.second) / std::max(1e-3, std::chrono::duration<double>(now - ingest_mark.first).count());
    ingest_mark = {now, acked};
    live_state = live.live_json(figures);
    live_events->publish(live_state);
    live_tick.expires_after(kLiveUpdateInterval);
    live_tick.async_wait(on_live_tick);
  };
  if (http_server) {
    boost::asio::post(io, [&] { on_live_tick({}); });
  }

  std::jthread pipeline_thread;
  if (pipeline) {
    if (config.drain && !config.ingest.enabled) {
      pipeline->drain_to_current_end();
    }
    if (http_server) {
      pipeline->on_committed_stats([&live](const std::vector<StatsEntry>& entries) { live.add(entries); });
    }
    pipeline_thread = std::jthread([&] {
      int status = 0;
      std::optional<PipelineReport> result;
      try {
        if (http_server) {
          live.start_from(published_stats(config));
        }
        result = pipeline->run(stop.get_token());
      } catch (const kafka::Interrupted& e) {
        log::notice("pipeline", std::string(e.what()) + "; the next run resumes from the last commit");
      } catch (const std::exception& e) {
        log::error("pipeline", std::string("stopped: ") + e.what() + " (Kafka at " + config.kafka.bootstrap + ")");
        status = kExitUnavailable;
      }
      boost::asio::post(io, [&, status, result] {
        pipeline_running = false;
        pipeline_report = result;
        progress.cancel();
        readiness.cancel();
        finished(status, true);
      });
    });
  }

  std::jthread ingest_thread;
  if (config.ingest.enabled) {
    ingest_thread = std::jthread([&] {
      int status = 0;
      std::optional<IngestReport> result;
      try {
        Ingest ingest(config, metrics, health);
        result = ingest.run(stop.get_token());
        status = result->failed > 0 || result->sent != result->acked + result->failed ? kExitFailed : 0;
      } catch (const CallFileError& e) {
        log::error("ingest", e.what());
        status = kExitDataError;
      } catch (const kafka::Interrupted& e) {
        log::notice("ingest", std::string(e.what()) + "; nothing was sent yet");
      } catch (const std::exception& e) {
        log::error("ingest", std::string("cannot replay into Kafka at ") + config.kafka.bootstrap + ": " + e.what());
        status = kExitUnavailable;
      }
      if (status == 0 && result && config.drain && pipeline) {
        pipeline->drain_to_current_end();  // everything is in the topic now
      }
      boost::asio::post(io, [&, status, result] {
        ingest_running = false;
        ingest_report = result;
        finished(status, config.drain && !config.pipeline.enabled);
      });
    });
  }

  io.run();
  begin_stopping("stopping");
  stop.request_stop();
  if (http_server) {
    http_server->stop();
  }
  watchdog.cancel();
  health_tick.cancel();
  live_tick.cancel();
  if (ingest_thread.joinable()) {
    ingest_thread.join();
  }
  if (pipeline_thread.joinable()) {
    pipeline_thread.join();
  }
  io.restart();
  io.poll();  // the threads' last posts, if the loop stopped before they ran
  if (config.drain) {
    std::string summary = "{";
    if (ingest_report) {
      summary += "\"ingest\":" + ingest_report->to_json();
    }
    if (pipeline_report) {
      summary += std::string(summary.size() > 1 ? "," : "") + "\"pipeline\":" + pipeline_report->to_json();
    }
    std::cout << summary << "}" << std::endl;
  }
  log::info("sfcrimed", "exiting with status " + std::to_string(exit_status));
  return exit_status;
}

}  // namespace sfcrimed::daemon
