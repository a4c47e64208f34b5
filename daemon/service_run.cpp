// The service's run: its start, its signals, and its stop (bounded, however it begins).

#include <boost/asio/post.hpp>
#include <csignal>
#include <cstdlib>
#include <iostream>

#include "commands.hpp"
#include "service.hpp"
#include "sfcrimed/log.hpp"
#include "sfcrimed/radio_codes.hpp"
#include "sfcrimed/systemd_notify.hpp"

namespace sfcrimed::daemon {
namespace {

// How long a stop on SIGTERM may take: flushing the ingest's records in flight and
// committing the pipeline's last transaction take well under a second with a reachable
// broker; without one they would wait out Kafka's timeouts. systemd/sfcrimed.service's
// TimeoutStopSec= (30 s) leaves room above it.
constexpr std::chrono::seconds kGracefulStopLimit{20};

}  // namespace

Service::Service(const Config& config)
    : config_(config),
      health_(config.kafka.stall_timeout),
      ingest_running_(config.ingest.enabled),
      pipeline_running_(config.pipeline.enabled),
      signals_(io_),
      stop_limit_(io_),
      progress_(io_),
      readiness_(io_),
      watchdog_(io_),
      ping_interval_(systemd::watchdog_ping_interval()),
      health_tick_(io_),
      live_tick_(io_) {}

Service::~Service() = default;

int Service::run() {
  if (const auto status = make_pipeline()) {
    return *status;
  }
  if (const auto status = open_http()) {
    return *status;
  }
  watch_signals();
  start_timers();
  start_pipeline();
  start_ingest();
  io_.run();
  return finish();
}

std::optional<int> Service::make_pipeline() {
  if (config_.pipeline.enabled) {
    try {
      pipeline_.emplace(config_, metrics_, health_);
    } catch (const RadioCodesError& e) {
      std::cerr << "sfcrimed: configuration error: " << e.what() << "\n";
      return kExitConfig;
    }
  }
  return std::nullopt;
}

void Service::schedule(boost::asio::steady_timer& timer, std::chrono::steady_clock::duration delay, Event event) {
  timer.expires_after(delay);
  timer.async_wait([this, event](const boost::system::error_code& error) { (this->*event)(error); });
}

// Taken over only now, once the parts exist: until then the defaults hold (SIGTERM ends
// the process; SIGHUP is ignored, see run_service).
void Service::watch_signals() {
  signals_.add(SIGINT);
  signals_.add(SIGTERM);
  signals_.add(SIGHUP);
  signals_.async_wait([this](const boost::system::error_code& error, int number) { on_signal(error, number); });
}

void Service::on_signal(const boost::system::error_code& error, int number) {
  if (error) {
    return;
  }
  if (number == SIGHUP) {
    on_sighup();
  } else if (++signals_seen_ == 1) {
    const std::string name = number == SIGINT ? "SIGINT" : "SIGTERM";
    log::notice("sfcrimed", name + ": stopping (a second signal exits at once)");
    request_stop(name + ": stopping; committing the pipeline's work and flushing the ingest");
    stop_when_done();
  } else {
    log::warning("sfcrimed", "second signal: exiting now, without waiting for Kafka");
    std::_Exit(128 + number);
  }
  signals_.async_wait([this](const boost::system::error_code& next, int signal) { on_signal(next, signal); });
}

void Service::on_sighup() const {
  if (config_.log_file.empty()) {
    log::notice("sfcrimed", "SIGHUP: logging to stderr, no log file to reopen; restart to apply new settings");
  } else if (log::reopen_file()) {
    log::notice("sfcrimed", "SIGHUP: reopened the log file " + config_.log_file + "; restart to apply new settings");
  }
}

void Service::begin_stopping(const std::string& why) {
  if (phase_ != Phase::stopping) {
    phase_ = Phase::stopping;
    systemd::notify_stopping(why);
  }
}

// However the stop begins (a signal, a failure, the work done), it is bounded: a part
// that cannot reach Kafka would otherwise hold the process forever.
void Service::request_stop(const std::string& why) {
  begin_stopping(why);
  stop_.request_stop();
  if (std::exchange(stop_limit_armed_, true)) {
    return;
  }
  stop_limit_.expires_after(kGracefulStopLimit);
  stop_limit_.async_wait([this](const boost::system::error_code& cancelled) { on_stop_limit(cancelled); });
}

void Service::on_stop_limit(const boost::system::error_code& cancelled) const {
  if (!cancelled) {
    log::error("sfcrimed", "still stopping after " + std::to_string(kGracefulStopLimit.count()) +
                               " s (is Kafka reachable?): exiting now; the pipeline resumes from its last "
                               "commit, the ingest from the last call in the topic");
    std::_Exit(exit_status_ != 0 ? exit_status_ : kExitFailed);
  }
}

// A part finished. A failure ends the run; so does the pipeline's end (drained or
// stopped), and the ingest's end with --drain when there is no pipeline to wait for.
void Service::finished(int status, bool ends_the_run) {
  if (status != 0 && exit_status_ == 0) {
    exit_status_ = status;
  }
  if (status != 0 || ends_the_run) {
    request_stop(status != 0 ? "stopping after a failure (exit status " + std::to_string(status) + ")"
                             : "stopping: the work is done");
  }
  stop_when_done();
}

void Service::stop_when_done() {
  if (!ingest_running_ && !pipeline_running_) {
    io_.stop();
  }
}

// After the loop: the parts stopped and joined, their last posts handled, the summary
// printed with --drain.
int Service::finish() {
  begin_stopping("stopping");
  stop_.request_stop();
  if (http_server_) {
    http_server_->stop();
  }
  watchdog_.cancel();
  health_tick_.cancel();
  live_tick_.cancel();
  if (ingest_thread_.joinable()) {
    ingest_thread_.join();
  }
  if (pipeline_thread_.joinable()) {
    pipeline_thread_.join();
  }
  io_.restart();
  io_.poll();  // the threads' last posts, if the loop stopped before they ran
  if (config_.drain) {
    print_summary();
  }
  log::info("sfcrimed", "exiting with status " + std::to_string(exit_status_));
  return exit_status_;
}

void Service::print_summary() const {
  std::string summary = "{";
  if (ingest_report_) {
    summary += "\"ingest\":" + ingest_report_->to_json();
  }
  if (pipeline_report_) {
    summary += std::string(summary.size() > 1 ? "," : "") + "\"pipeline\":" + pipeline_report_->to_json();
  }
  std::cout << summary << "}" << std::endl;
}

}  // namespace sfcrimed::daemon
