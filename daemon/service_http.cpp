// The service's HTTP endpoint (metrics.listen): /metrics, /healthz, /readyz, the live
// page and its data.

#include "commands.hpp"
#include "live_page.hpp"
#include "service.hpp"
#include "sfcrimed/log.hpp"
#include "sfcrimed/tls_context.hpp"
#include "sfcrimed/users_file.hpp"

#include <iostream>

namespace sfcrimed::daemon {

namespace {

// How the endpoint is protected, for its start-up line.
std::string protection(const MetricsConfig& metrics) {
  std::string text = metrics.tls_certificate.empty() ? "; plain HTTP" : "; TLS";
  if (metrics.users.empty()) {
    return text + ", no authentication";
  }
  return text + ", basic authentication (" + metrics.users + ")" + (metrics.open_healthz ? ", /healthz open" : "");
}

// The endpoint's TLS and users, as metrics.* says; throws ConfigError for files the
// configuration's check passed but that cannot be used now (changed since, or a key not
// the certificate's).
http::ServerOptions endpoint_options(const MetricsConfig& metrics) {
  http::ServerOptions options;
  if (!metrics.tls_certificate.empty()) {
    try {
      options.tls = http::server_tls_context(metrics.tls_certificate, metrics.tls_key);
    } catch (const http::TlsFilesError& e) {
      throw ConfigError("metrics.tls_certificate, metrics.tls_key: " + std::string(e.what()));
    }
  }
  if (!metrics.users.empty()) {
    try {
      options.users = read_users_file(metrics.users);
    } catch (const std::invalid_argument& e) {
      throw ConfigError("metrics.users: " + std::string(e.what()));
    }
    if (metrics.open_healthz) {
      options.public_paths.emplace_back("/healthz");
    }
  }
  return options;
}

}  // namespace

std::optional<int> Service::open_http() {
  const MetricsConfig& metrics = config_.metrics;
  if (metrics.listen.empty()) {
    return std::nullopt;
  }
  try {
    http_server_.emplace(io_, metrics.listen, endpoint_options(metrics));
  } catch (const ConfigError& e) {
    std::cerr << "sfcrimed: configuration error: " << e.what() << "\n";
    return kExitConfig;
  } catch (const std::exception& e) {
    log::error("metrics", e.what());
    return kExitUnavailable;
  }
  add_routes();
  live_events_ = http_server_->events("/api/events");
  http_server_->start();
  const std::string address = http_server_->url();
  log::notice("metrics", "the live page: " + address + "/ (Prometheus: " + address + "/metrics; " + address +
                             "/healthz, " + address + "/readyz)" + protection(metrics));
  if (!metrics.users.empty() && metrics.tls_certificate.empty()) {
    log::warning("metrics",
                 "basic authentication over plain HTTP: passwords cross the network readable by anyone "
                 "on the way; set metrics.tls_certificate and metrics.tls_key");
  }
  return std::nullopt;
}

void Service::add_routes() {
  http_server_->route("/metrics", [this] {
    return http::Response{200, "text/plain; version=0.0.4; charset=utf-8", metrics_.text()};
  });
  http_server_->route("/healthz", [this] { return healthz(); });
  http_server_->route("/readyz", [this] { return readyz(); });
  // The live page, and its data: the latest state, its stream, and the totals as
  // `sfcrimed stats --json` prints them.
  for (const auto& file : live_page_files()) {
    http_server_->route(std::string(file.path), [&file] {
      return http::Response{200, std::string(file.content_type), std::string(file.body)};
    });
  }
  http_server_->route("/api/live", [this] { return http::Response{200, "application/json", live_state_ + "\n"}; });
  http_server_->route("/api/stats", [this] { return api_stats(); });
}

// Alive: the loop answers, no part has failed (a failed part ends the process) and none
// is stuck (work waiting and no progress, or a Kafka call past its deadline).
http::Response Service::healthz() const {
  if (exit_status_ != 0) {
    return http::Response{503, "text/plain; charset=utf-8",
                          "failing: exit status " + std::to_string(exit_status_) + "\n"};
  }
  return verdict_.stuck ? http::Response{503, "text/plain; charset=utf-8", "stuck: " + verdict_.reason + "\n"}
                        : http::Response{200, "text/plain; charset=utf-8", "ok\n"};
}

http::Response Service::readyz() const {
  const std::string reason = not_ready_because();
  return reason.empty() ? http::Response{200, "text/plain; charset=utf-8", "ready\n"}
                        : http::Response{503, "text/plain; charset=utf-8", "not ready: " + reason + "\n"};
}

http::Response Service::api_stats() const {
  PipelineProgress::Mark scratch;
  const auto progress = pipeline_ ? pipeline_->progress(scratch) : PipelineProgress{};
  return http::Response{200, "application/json", live_.stats_json(progress.malformed, progress.late) + "\n"};
}

}  // namespace sfcrimed::daemon
