#pragma once
// What every place that talks to Kafka does with a failure a cluster's normal faults make
// transient (a leader or coordinator moving, a broker restarting or frozen, a request
// timing out): try again, with fresh metadata, after a backoff, until the failures have
// lasted longer than a bound (kafka.unavailable_timeout); then give up, saying what
// could not be done and since when. Anything else fails at once.

#include <librdkafka/rdkafkacpp.h>

#include <chrono>
#include <functional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <type_traits>

namespace sfcrimed::kafka {

// A failure worth another attempt: the cluster may answer once it has moved a leader or
// a coordinator, or a broker is back.
class TransientError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The cluster has been unusable for longer than the bound: sfcrimed exits 69 with this.
class Unavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A stop was requested while waiting for the cluster to come back.
class Interrupted : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A librdkafka call that did not return by its deadline, although it was given a timeout
// (librdkafka 2.14.2's send_offsets_to_transaction() can wait for a dead group
// coordinator for good: https://github.com/confluentinc/librdkafka/issues/5456 and 5511).
// The handle it runs on is the caller's to give up.
class CallOverrun : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Runs `call` on a thread of its own and waits for it until `deadline`; rethrows what it
// throws. Past the deadline it throws CallOverrun and leaves the thread to finish
// whenever it does: `call` must own (by value, shared pointers) everything it uses.
void call_with_deadline(std::function<void()> call, std::chrono::steady_clock::time_point deadline,
                        std::string_view what);

// Whether librdkafka's `err` is one a failover causes and a later attempt can cure:
// lost connections and timeouts, "not leader", "not coordinator", too few in-sync
// replicas for a moment, a broker handle destroyed while its broker left the metadata.
bool is_transient(RdKafka::ErrorCode err);

// Nothing for ERR_NO_ERROR; else throws TransientError or std::runtime_error with
// "<what>: <librdkafka's reason>".
void check(RdKafka::ErrorCode err, std::string_view what);

// How long to keep trying, and how to wait. `now` and `sleep` are replaced by tests.
struct RetryPolicy {
  std::chrono::milliseconds give_up_after{std::chrono::minutes(2)};
  std::chrono::milliseconds first_backoff{100};
  std::chrono::milliseconds max_backoff{2000};
  std::function<std::chrono::steady_clock::time_point()> now = [] { return std::chrono::steady_clock::now(); };
  // Waits for the duration; returns early (false) when `stop` is requested.
  std::function<bool(std::chrono::milliseconds, const std::stop_token&)> sleep = sleep_unless_stopped;
  std::stop_token stop;

  static bool sleep_unless_stopped(std::chrono::milliseconds duration, const std::stop_token& stop);
};

// One operation's transient failures: logs the first (warning), then every 30 s, and the
// recovery; waits between attempts. Not thread-safe: one per running operation.
class RetryState {
 public:
  RetryState(const RetryPolicy& policy, std::string_view what);

  // After a transient failure: waits the backoff (100 ms, doubling up to 2 s), or throws
  // Unavailable once the failures have lasted give_up_after, Interrupted on a stop.
  void failed(const std::exception& failure);
  // After the attempt that worked: says so when earlier ones had failed.
  void succeeded() const;

 private:
  const RetryPolicy& policy_;
  std::string what_;
  int failures_ = 0;
  std::chrono::steady_clock::time_point first_failure_;
  std::chrono::steady_clock::time_point last_logged_;
  std::string first_failure_wall_;  // "19:40:05 UTC", for the message
  std::chrono::milliseconds backoff_{0};
};

// Runs `attempt` until it neither returns nor throws anything but TransientError; returns
// what it returns. `what` names the operation in the log and in Unavailable ("read the
// end offsets of 'sf.police.calls'"). What else `attempt` throws passes through.
template <typename Attempt>
auto retry(const RetryPolicy& policy, std::string_view what, Attempt&& attempt) -> std::invoke_result_t<Attempt&> {
  RetryState state(policy, what);
  for (;;) {
    try {
      if constexpr (std::is_void_v<std::invoke_result_t<Attempt&>>) {
        attempt();
        state.succeeded();
        return;
      } else {
        auto result = attempt();
        state.succeeded();
        return result;
      }
    } catch (const TransientError& e) {
      state.failed(e);
    }
  }
}

}  // namespace sfcrimed::kafka
