#include "sfcrimed/health.hpp"

#include <utility>

#include "sfcrimed/detail/format.hpp"

namespace sfcrimed {
namespace {

using std::chrono::milliseconds;

milliseconds between(Health::Clock::time_point from, Health::Clock::time_point to) {
  return std::chrono::duration_cast<milliseconds>(to - from);
}

}  // namespace

Health::Part::Part(std::string name, const Health& health)
    : name_(std::move(name)), health_(health), last_progress_(health.now().time_since_epoch().count()) {}

void Health::Part::progressed() {
  last_progress_.store(health_.now().time_since_epoch().count(), std::memory_order_relaxed);
}

void Health::Part::set_work(std::int64_t amount, std::string_view what) {
  const std::lock_guard lock(mutex_);
  if (amount > 0 && work_.load(std::memory_order_relaxed) <= 0) {
    progressed();  // nothing was waiting until now: no time lost so far
  }
  work_.store(amount, std::memory_order_relaxed);
  if (work_what_ != what) {
    work_what_ = what;
  }
}

Health::Part::Call Health::Part::call(std::string what, Clock::time_point deadline) {
  const std::lock_guard lock(mutex_);
  call_ = std::move(what);
  call_started_ = health_.now();
  call_deadline_ = deadline;
  return Call(*this);
}

Health::Part::Call::~Call() {
  const std::lock_guard lock(part_.mutex_);
  part_.call_.reset();
}

Health::Health(milliseconds stall_timeout, std::function<Clock::time_point()> now)
    : stall_timeout_(stall_timeout), now_(std::move(now)) {}

Health::Part& Health::add(std::string name) {
  const std::lock_guard lock(mutex_);
  return parts_.emplace_back(std::move(name), *this);
}

Health::Verdict Health::check() const {
  const auto now = now_();
  Verdict verdict;
  const std::lock_guard lock(mutex_);
  for (const Part& part : parts_) {
    const std::lock_guard part_lock(part.mutex_);
    const Clock::time_point last{Clock::duration(part.last_progress_.load(std::memory_order_relaxed))};
    const milliseconds quiet = between(last, now);
    std::string reason;
    if (part.call_ && now > part.call_deadline_ + stall_timeout_) {
      reason = part.name_ + ": in " + *part.call_ + " for " + detail::seconds_text(between(part.call_started_, now)) +
               ", " + detail::seconds_text(between(part.call_deadline_, now)) + " past its deadline";
    } else if (const std::int64_t work = part.work_.load(std::memory_order_relaxed);
               work > 0 && quiet > stall_timeout_) {
      reason = part.name_ + ": no progress for " + detail::seconds_text(quiet) + " with " + std::to_string(work) + " " +
               part.work_what_ + (part.call_ ? " (in " + *part.call_ + ")" : "");
    }
    if (!reason.empty()) {
      verdict.reason += (verdict.stuck ? "; " : "") + reason;
      verdict.stuck = true;
      verdict.stuck_for = std::max(verdict.stuck_for, quiet);
    }
  }
  return verdict;
}

}  // namespace sfcrimed
