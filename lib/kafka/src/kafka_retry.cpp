#include "sfcrimed/kafka_retry.hpp"

#include <algorithm>
#include <array>
#include <condition_variable>
#include <ctime>
#include <memory>
#include <mutex>
#include <thread>

#include "sfcrimed/connection_refusal.hpp"
#include "sfcrimed/detail/format.hpp"
#include "sfcrimed/duration.hpp"
#include "sfcrimed/log.hpp"

namespace sfcrimed::kafka {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::seconds kLogEvery{30};

std::string wall_clock_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%H:%M:%S UTC", &utc);
  return text;
}

std::chrono::milliseconds since(Clock::time_point now, Clock::time_point then) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(now - then);
}

}  // namespace

bool is_transient(RdKafka::ErrorCode err) {
  using E = RdKafka::ErrorCode;
  static constexpr std::array kTransient = {
      // librdkafka's own: connections, timeouts, brokers coming and going.
      E::ERR__TRANSPORT, E::ERR__TIMED_OUT, E::ERR__TIMED_OUT_QUEUE, E::ERR__ALL_BROKERS_DOWN, E::ERR__RESOLVE,
      E::ERR__DESTROY_BROKER, E::ERR__WAIT_COORD, E::ERR__NODE_UPDATE, E::ERR__RETRY, E::ERR__ISR_INSUFF,
      E::ERR__MSG_TIMED_OUT, E::ERR__UNKNOWN_BROKER, E::ERR__OUTDATED,
      // The brokers': leaders and coordinators moving, replicas catching up.
      E::ERR_REQUEST_TIMED_OUT, E::ERR_NETWORK_EXCEPTION, E::ERR_LEADER_NOT_AVAILABLE, E::ERR_NOT_LEADER_FOR_PARTITION,
      E::ERR_BROKER_NOT_AVAILABLE, E::ERR_REPLICA_NOT_AVAILABLE, E::ERR_COORDINATOR_LOAD_IN_PROGRESS,
      E::ERR_COORDINATOR_NOT_AVAILABLE, E::ERR_NOT_COORDINATOR, E::ERR_NOT_ENOUGH_REPLICAS,
      E::ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND, E::ERR_NOT_CONTROLLER, E::ERR_REBALANCE_IN_PROGRESS,
      E::ERR_CONCURRENT_TRANSACTIONS, E::ERR_KAFKA_STORAGE_ERROR, E::ERR_FENCED_LEADER_EPOCH,
      E::ERR_UNKNOWN_LEADER_EPOCH, E::ERR_OFFSET_NOT_AVAILABLE, E::ERR_PREFERRED_LEADER_NOT_AVAILABLE,
      E::ERR_ELIGIBLE_LEADERS_NOT_AVAILABLE, E::ERR_THROTTLING_QUOTA_EXCEEDED, E::ERR_UNSTABLE_OFFSET_COMMIT,
      E::ERR_REBOOTSTRAP_REQUIRED};
  return std::find(kTransient.begin(), kTransient.end(), err) != kTransient.end();
}

void check(RdKafka::ErrorCode err, std::string_view what) {
  if (err == RdKafka::ERR_NO_ERROR) {
    return;
  }
  const std::string message = std::string(what) + ": " + RdKafka::err2str(err) + missing_acl_hint(err);
  if (is_transient(err)) {
    throw TransientError(message);
  }
  throw std::runtime_error(message);
}

void call_with_deadline(std::function<void()> call, std::chrono::steady_clock::time_point deadline,
                        std::string_view what) {
  struct Outcome {
    std::mutex mutex;
    std::condition_variable done;
    bool finished = false;
    std::exception_ptr error;
  };
  const auto outcome = std::make_shared<Outcome>();
  std::thread([outcome, call = std::move(call)] {
    std::exception_ptr error;
    try {
      call();
    } catch (...) {
      error = std::current_exception();
    }
    const std::lock_guard lock(outcome->mutex);
    outcome->finished = true;
    outcome->error = error;
    outcome->done.notify_all();
  }).detach();
  std::unique_lock lock(outcome->mutex);
  if (!outcome->done.wait_until(lock, deadline, [&] { return outcome->finished; })) {
    throw CallOverrun("librdkafka did not return from " + std::string(what) + " by its deadline");
  }
  if (outcome->error) {
    std::rethrow_exception(outcome->error);
  }
}

bool RetryPolicy::sleep_unless_stopped(std::chrono::milliseconds duration, const std::stop_token& stop) {
  std::mutex mutex;
  std::condition_variable_any wake;
  std::unique_lock lock(mutex);
  wake.wait_for(lock, stop, duration, [] { return false; });  // false either way: ask the token
  return !stop.stop_requested();
}

RetryState::RetryState(const RetryPolicy& policy, std::string_view what) : policy_(policy), what_(what) {}

void RetryState::failed(const std::exception& failure) {
  const auto now = policy_.now();
  if (failures_++ == 0) {
    first_failure_ = last_logged_ = now;
    first_failure_wall_ = wall_clock_now();
    backoff_ = policy_.first_backoff;
    log::warning("kafka", "cannot " + what_ + " (" + failure.what() + "); trying again for up to " +
                              format_duration(policy_.give_up_after) + " (kafka.unavailable_timeout)");
  } else if (now - last_logged_ >= kLogEvery) {
    last_logged_ = now;
    log::warning("kafka", "still cannot " + what_ + " after " + detail::seconds_text(since(now, first_failure_)) +
                              " and " + std::to_string(failures_) + " attempts (" + failure.what() + ")");
  }
  const auto elapsed = since(now, first_failure_);
  if (const auto refusal = ConnectionRefusals::process().certain()) {
    throw Unavailable("cannot " + what_ + ": " + *refusal);  // no retry cures it
  }
  if (elapsed >= policy_.give_up_after) {
    throw Unavailable("cannot " + what_ + " since " + first_failure_wall_ + " (" + detail::seconds_text(elapsed) +
                      ", " + std::to_string(failures_) + " attempts; kafka.unavailable_timeout is " +
                      format_duration(policy_.give_up_after) + "): " + failure.what());
  }
  const auto wait = std::min(backoff_, policy_.give_up_after - elapsed);
  if (!policy_.sleep(wait, policy_.stop)) {
    throw Interrupted("stopped while trying to " + what_ + " (" + failure.what() + ")");
  }
  backoff_ = std::min(backoff_ * 2, policy_.max_backoff);
}

void RetryState::succeeded() const {
  if (failures_ > 0) {
    log::notice("kafka", "could " + what_ + " again after " +
                             detail::seconds_text(since(policy_.now(), first_failure_)) + " (" +
                             std::to_string(failures_) + " failed attempts)");
  }
}

}  // namespace sfcrimed::kafka
