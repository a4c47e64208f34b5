#pragma once
// Whether each part of the daemon (the ingest, each pipeline thread, the pipeline's
// monitor) is getting on with its work, so that a hang is told from a pause: /healthz,
// the systemd watchdog and the log ask it. A part is stuck when it has had work waiting
// and made no progress for longer than the stall bound (kafka.stall_timeout), or when it
// has been inside one Kafka call for longer than that call's own deadline plus the bound.
// No Kafka here: parts report, the service asks.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace sfcrimed {

class Health {
 public:
  using Clock = std::chrono::steady_clock;

  // One part's reports. Its own thread calls progressed() and call(); set_work() may come
  // from any thread (the pipeline's monitor knows the lag); Health::check() reads them
  // all from any thread. progressed() is cheap enough for every record.
  class Part {
   public:
    Part(std::string name, const Health& health);

    // Did some of its work: read a record, committed, got an acknowledgement.
    void progressed();
    // How much work waits for it (records to read, calls to acknowledge), and what it
    // is, said when it is stuck: "records to read". 0: nothing to do, nothing to miss.
    // Work that appears after none counts its wait from then.
    void set_work(std::int64_t amount, std::string_view what);

    // The Kafka call this part is in, until the guard goes.
    class Call {
     public:
      ~Call();
      Call(const Call&) = delete;
      Call& operator=(const Call&) = delete;

     private:
      friend class Part;
      explicit Call(Part& part) : part_(part) {}
      Part& part_;
    };
    // Says that the part is in `what` (a Kafka call, or a retried sequence of them)
    // until `deadline`: the call's own timeout, after which it should have returned.
    [[nodiscard]] Call call(std::string what, Clock::time_point deadline);

    [[nodiscard]] const std::string& name() const { return name_; }

   private:
    friend class Health;
    const std::string name_;
    const Health& health_;
    std::atomic<Clock::rep> last_progress_;
    std::atomic<std::int64_t> work_{0};
    mutable std::mutex mutex_;  // what follows
    std::string work_what_;
    std::optional<std::string> call_;
    Clock::time_point call_started_;
    Clock::time_point call_deadline_;
  };

  // `stall_timeout`: how long a part may have work and make no progress, and how far a
  // call may overrun its deadline. `now` is the clock (tests pass their own).
  explicit Health(std::chrono::milliseconds stall_timeout, std::function<Clock::time_point()> now = Clock::now);

  // A new part, alive (and making progress) from now on; the reference stays valid as
  // long as the Health. Any thread.
  Part& add(std::string name);

  struct Verdict {
    bool stuck = false;
    std::string reason;                      // "pipeline thread 1: no progress for 1m05s with 1,200 records to read"
    std::chrono::milliseconds stuck_for{0};  // since the stuck part last made progress
  };
  // Asks every part. Any thread.
  [[nodiscard]] Verdict check() const;

  [[nodiscard]] std::chrono::milliseconds stall_timeout() const { return stall_timeout_; }
  [[nodiscard]] Clock::time_point now() const { return now_(); }

 private:
  const std::chrono::milliseconds stall_timeout_;
  const std::function<Clock::time_point()> now_;
  mutable std::mutex mutex_;
  std::deque<Part> parts_;  // a deque: references to its elements survive later additions
};

}  // namespace sfcrimed
