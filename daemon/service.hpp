#pragma once
// The sfcrimed service as one object: its state is its members, its events its methods.
//
// Its parts: the HTTP endpoint (/metrics, /healthz, /readyz, the live page and its data),
// the ingest thread and the pipeline's threads; signals, timers and the service manager's
// notifications run on a Boost.Asio loop in the main thread (service_*.cpp hold them by
// kind: the run and its stop, the timers, the HTTP routes, the parts' threads).
//
// Signals: SIGTERM or SIGINT stops the ingest (what is in flight is flushed and
// accounted for) and the pipeline (its work so far committed), and exits 0; a second one
// exits at once (nothing is lost: the pipeline resumes from its last commit, the ingest
// from the last call in the topic). SIGHUP reopens the log file (log.file) for logrotate;
// configuration changes take effect by restart.
//
// Under systemd (Type=notify): READY=1 once the HTTP endpoint listens and every pipeline
// thread has its partitions, STATUS= with each progress line, STOPPING=1 when it begins
// to stop, WATCHDOG=1 from the loop when the unit sets WatchdogSec= (and none while a
// part is stuck).

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>

#include "sfcrimed/config.hpp"
#include "sfcrimed/health.hpp"
#include "sfcrimed/http_server.hpp"
#include "sfcrimed/ingest.hpp"
#include "sfcrimed/kafka_settings.hpp"
#include "sfcrimed/live_view.hpp"
#include "sfcrimed/metrics.hpp"
#include "sfcrimed/pipeline.hpp"

namespace sfcrimed::daemon {

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

// One run of the service. Not thread-safe: every method runs on the main thread, the
// on_* ones as handlers on its loop; the parts' threads only post to the loop (and read
// `config_`, `metrics_`, `health_`, the pipeline and the stop token, which are theirs to share).
class Service {
 public:
  // `config` must outlive the service. Logging is set up by the caller.
  explicit Service(const Config& config);
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;
  ~Service();

  // Starts the parts and turns the loop until the work is done, a part fails or a
  // signal stops it (20 s at most from the start of the stop); the exit status: 0 done or
  // stopped, 1 calls failed to deliver or the stop outlasted its limit, 65 the calls file
  // is not calls, 69 Kafka or the HTTP port unusable, 78 the radio-code table. Once.
  int run();

 private:
  enum class Phase { starting, ready, stopping };
  using Event = void (Service::*)(const boost::system::error_code&);

  // The start (service_run.cpp, service_http.cpp, service_parts.cpp); each returns the
  // status to exit with when the service cannot start.
  std::optional<int> make_pipeline();
  std::optional<int> open_http();
  void add_routes();
  void watch_signals();
  void start_timers();
  void start_pipeline();
  void start_ingest();
  int finish();

  // What the service answers and shows.
  [[nodiscard]] std::string not_ready_because() const;
  [[nodiscard]] std::string ready_text() const;
  [[nodiscard]] std::string live_status() const;
  [[nodiscard]] http::Response healthz() const;
  [[nodiscard]] http::Response readyz() const;
  [[nodiscard]] http::Response api_stats() const;
  void print_summary() const;

  // The loop's events.
  void on_signal(const boost::system::error_code& error, int number);
  void on_sighup() const;
  void on_progress(const boost::system::error_code& error);
  void on_readiness(const boost::system::error_code& error);
  void on_watchdog(const boost::system::error_code& error);
  void on_health(const boost::system::error_code& error);
  void on_live_tick(const boost::system::error_code& error);
  void on_stop_limit(const boost::system::error_code& cancelled) const;
  void on_pipeline_finished(int status, const std::optional<PipelineReport>& report);
  void on_ingest_finished(int status, const std::optional<IngestReport>& report);
  // Runs `event` on the loop after `delay`.
  void schedule(boost::asio::steady_timer& timer, std::chrono::steady_clock::duration delay, Event event);

  // The stop, however it begins (a signal, a failure, the work done).
  void begin_stopping(const std::string& why);
  void request_stop(const std::string& why);
  void finished(int status, bool ends_the_run);
  void stop_when_done();

  // The parts' threads' bodies (service_parts.cpp).
  void pipeline_thread_body();
  void ingest_thread_body();
  int ingest(std::optional<IngestReport>& report);

  const Config& config_;
  Metrics metrics_;
  const BrokerStatesToMetrics broker_states_{metrics_};
  Health health_;
  std::optional<Pipeline> pipeline_;

  boost::asio::io_context io_;
  // The main thread's state, changed only by handlers on the loop.
  Phase phase_ = Phase::starting;
  bool ingest_running_;
  bool pipeline_running_;
  std::optional<IngestReport> ingest_report_;
  std::optional<PipelineReport> pipeline_report_;
  int exit_status_ = 0;
  Health::Verdict verdict_;   // the last look at the parts' health
  std::string ready_status_;  // once ready: what the service does

  LiveView live_;
  std::string live_state_;  // the latest, as pushed to the page
  std::shared_ptr<http::EventStream> live_events_;
  std::optional<http::Server> http_server_;

  boost::asio::signal_set signals_;
  int signals_seen_ = 0;
  boost::asio::steady_timer stop_limit_;
  bool stop_limit_armed_ = false;
  std::stop_source stop_;

  boost::asio::steady_timer progress_;
  boost::asio::steady_timer readiness_;
  boost::asio::steady_timer watchdog_;
  const std::optional<std::chrono::microseconds> ping_interval_;
  boost::asio::steady_timer health_tick_;
  boost::asio::steady_timer live_tick_;
  PipelineProgress::Mark live_mark_;
  std::pair<std::chrono::steady_clock::time_point, double> ingest_mark_;  // when, and the calls acknowledged then

  std::jthread pipeline_thread_;
  std::jthread ingest_thread_;
};

}  // namespace sfcrimed::daemon
