#include "sfcrimed/ingest.hpp"

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>

#include "sfcrimed/client_settings.hpp"
#include "sfcrimed/detail/format.hpp"
#include "sfcrimed/ingest/turn.hpp"
#include "sfcrimed/kafka_admin.hpp"
#include "sfcrimed/log.hpp"
#include "sfcrimed/producer.hpp"
#include "sfcrimed/topic_reader.hpp"

namespace sfcrimed {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kBadRecordsLogged = 10;

// Sleeps until `when`, waking early when a stop is requested.
void sleep_until(Clock::time_point when, const std::stop_token& stop) {
  std::mutex mutex;
  std::condition_variable_any wake;
  std::unique_lock lock(mutex);
  wake.wait_until(lock, stop, when, [] { return false; });
}

using detail::format;

// Brings the Prometheus counters level with the producer's own count, and tells the
// health monitor: the work is what waits for an acknowledgement, progress is one coming.
class CounterSync {
 public:
  CounterSync(IngestMetrics& metrics, const kafka::Producer& producer, Health::Part& health)
      : metrics_(metrics), producer_(producer), health_(health) {}
  void update() {
    const auto counts = producer_.counts();
    metrics_.sent.Increment(static_cast<double>(counts.queued - last_.queued));
    metrics_.acked.Increment(static_cast<double>(counts.acked - last_.acked));
    metrics_.failed.Increment(static_cast<double>(counts.failed - last_.failed));
    if (counts.acked + counts.failed != last_.acked + last_.failed) {
      health_.progressed();
    }
    health_.set_work(static_cast<std::int64_t>(counts.in_flight()), "calls sent and not acknowledged yet");
    last_ = counts;
  }

 private:
  IngestMetrics& metrics_;
  const kafka::Producer& producer_;
  Health::Part& health_;
  kafka::DeliveryCounts last_;
};

// "12,345": counts of calls in the log, as people read them.
std::string with_commas(std::uint64_t number) {
  // Built from the right, a group of three at a time (GCC 12 at -O2 mistakes an insert()
  // loop here for an overlapping memcpy and warns).
  std::string text;
  int digits = 0;
  do {
    if (digits > 0 && digits % 3 == 0) {
      text += ',';
    }
    text += static_cast<char>('0' + number % 10);
    number /= 10;
    ++digits;
  } while (number > 0);
  return {text.rbegin(), text.rend()};
}

std::optional<std::string> header_value(RdKafka::Headers& headers, std::string_view name) {
  const RdKafka::Headers::Header header = headers.get_last(std::string(name));
  if (header.err() != RdKafka::ERR_NO_ERROR || header.value() == nullptr) {
    return std::nullopt;
  }
  return std::string(static_cast<const char*>(header.value()), header.value_size());
}

// The replay headers of a message; nothing when it lacks one or the position is no number.
std::optional<ReplayMark> replay_mark(const RdKafka::Message& message) {
  // librdkafka's accessor is not const: it parses the headers on first use.
  RdKafka::Headers* headers = const_cast<RdKafka::Message&>(message).headers();
  if (headers == nullptr) {
    return std::nullopt;
  }
  auto replay_id = header_value(*headers, kReplayIdHeader);
  const auto position_text = header_value(*headers, kReplayPositionHeader);
  if (!replay_id || !position_text) {
    return std::nullopt;
  }
  ReplayMark mark{std::move(*replay_id), 0};
  const char* end = position_text->data() + position_text->size();
  const auto [stop, error] = std::from_chars(position_text->data(), end, mark.position);
  if (error != std::errc() || stop != end) {
    return std::nullopt;
  }
  return mark;
}

// The marks of this replay's messages among the last `count` of each partition, read
// again from the start while the cluster fails over.
std::vector<ReplayMark> last_marks(const kafka::Settings& settings, const std::string& topic, std::int64_t count,
                                   const kafka::RetryPolicy& policy) {
  std::vector<ReplayMark> marks;
  try {
    kafka::retry(policy, "read the last calls of '" + topic + "' to find where to resume", [&] {
      marks.clear();
      kafka::read_last_messages(
          settings, topic, count,
          [&marks](const RdKafka::Message& message) {
            if (auto mark = replay_mark(message)) {
              marks.push_back(std::move(*mark));
            }
          },
          std::chrono::seconds(15));
    });
  } catch (const kafka::Interrupted&) {
    throw;
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string(e.what()) +
                             "; this is how the ingest finds where to resume (ingest.resume = false replays from the "
                             "start without looking)");
  }
  return marks;
}

// Where to start: after what an earlier run of the same replay left in the calls topic.
// Logs what it finds.
ResumePoint find_resume_point(const Config& config, const kafka::RetryPolicy& policy, const std::string& replay_id,
                              std::uint64_t records) {
  const std::string& topic = config.kafka.topic;
  const kafka::Settings settings = client_settings(config, "sfcrimed-ingest-resume");
  ResumePoint point = resume_point(last_marks(settings, topic, 1, policy), replay_id);
  if (point.other) {
    log::notice("ingest", "the calls topic " + topic + " ends with calls of another replay (" + *point.other +
                              "; this one is " + replay_id +
                              ": another file, or another ingest.order): replaying from the start");
    return point;
  }
  if (point.position == 0) {
    return point;
  }
  // Every call up to the lowest last position among the partitions is in the topic: the
  // idempotent producer keeps each partition's order. The calls after it up to the
  // highest may be there too, each at the end of its partition: at most (highest -
  // lowest) messages from each end cover them. What is found there is not sent again;
  // after a graceful stop, when everything sent was acknowledged, that leaves nothing
  // sent twice. Should another writer's messages push some out of that reach, those are
  // sent again and the pipeline counts them once (a crime_id seen again within the open
  // windows is a duplicate). A delivery that failed in the earlier run (reported, exit
  // status 1) can leave a gap before the lowest position that this does not see;
  // ingest.resume = false replays everything.
  if (point.highest >= point.position) {
    add_found(point, last_marks(settings, topic, static_cast<std::int64_t>(point.highest + 1 - point.position), policy),
              replay_id);
  }
  if (!config.ingest.loop && point.position >= records) {
    log::info("ingest", "the calls topic " + topic + " already holds all " + with_commas(records) + " calls of " +
                            config.ingest.file + ", from an earlier run (replay " + replay_id +
                            "): nothing to send (ingest.resume = false replays them again)");
    point.position = records;
    point.ahead.clear();
    return point;
  }
  const std::uint64_t pass = point.position / records;
  log::info("ingest", "resuming at call " + with_commas(point.position % records + 1) + " of " + with_commas(records) +
                          (pass > 0 ? " (pass " + with_commas(pass + 1) + ")" : "") + ": the calls topic " + topic +
                          " already holds the ones before, from an earlier run (replay " + replay_id + ")" +
                          (point.ahead.empty()
                               ? ""
                               : "; and " + with_commas(point.ahead.size()) + " after it, which are not sent again"));
  return point;
}

}  // namespace

std::string replay_fingerprint(std::span<const Call> calls, ReplayOrder order) {
  constexpr std::uint64_t kOffsetBasis = 14695981039346656037ULL;
  constexpr std::uint64_t kPrime = 1099511628211ULL;
  std::uint64_t hash = kOffsetBasis;
  const auto add = [&hash](std::string_view bytes) {
    for (const char byte : bytes) {
      hash = (hash ^ static_cast<unsigned char>(byte)) * kPrime;
    }
    // A separator after each field, so that ids "1","23" and "12","3" differ.
    hash = (hash ^ 0U) * kPrime;
  };
  add(order == ReplayOrder::event_time ? "time" : "file");
  for (const Call& call : calls) {
    add(call.crime_id);
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

ResumePoint resume_point(const std::vector<ReplayMark>& last_marks, std::string_view replay_id) {
  // A partition whose last message is of another replay has had no call of this one
  // since, so only this replay's own partitions bound what is in the topic.
  ResumePoint point;
  std::optional<std::uint64_t> lowest;
  for (const ReplayMark& mark : last_marks) {
    if (mark.replay_id == replay_id) {
      lowest = std::min(lowest.value_or(mark.position), mark.position);
      point.highest = std::max(point.highest, mark.position);
    } else if (!point.other) {
      point.other = mark.replay_id;
    }
  }
  if (lowest) {
    point.position = *lowest + 1;
    point.other.reset();
  }
  return point;
}

void add_found(ResumePoint& point, const std::vector<ReplayMark>& found, std::string_view replay_id) {
  std::vector<std::uint64_t> positions = point.ahead;
  for (const ReplayMark& mark : found) {
    if (mark.replay_id == replay_id && mark.position >= point.position) {
      positions.push_back(mark.position);
    }
  }
  std::sort(positions.begin(), positions.end());
  positions.erase(std::unique(positions.begin(), positions.end()), positions.end());
  auto next = positions.begin();
  while (next != positions.end() && *next == point.position) {
    ++point.position;
    ++next;
  }
  point.ahead.assign(next, positions.end());
}

std::string IngestReport::to_json() const {
  return "{\"sent\":" + std::to_string(sent) + ",\"acked\":" + std::to_string(acked) +
         ",\"failed\":" + std::to_string(failed) + ",\"skipped\":" + std::to_string(skipped) +
         ",\"not_sent\":" + std::to_string(not_sent) + ",\"resumed_at\":" + std::to_string(resumed_at) +
         ",\"already_in_topic\":" + std::to_string(already_in_topic) + ",\"seconds\":" + format("%.3f", seconds) +
         ",\"rate\":" + format("%.1f", rate()) + "}";
}

Ingest::Ingest(const Config& config, Metrics& metrics, Health& health)
    : config_(config), metrics_(metrics), health_(health.add("ingest")) {}

namespace {

// Reads and checks the whole file before anything is sent: with ingest.on_error = fail a
// bad file sends nothing (CallFileError leaves here). Logs what it read.
CallFile load_calls(const IngestConfig& settings, IngestMetrics& metrics, IngestReport& report) {
  const auto read_start = Clock::now();
  CallFile file = CallFile::load(settings.file, settings.order, settings.on_error);
  const double read_seconds = std::chrono::duration<double>(Clock::now() - read_start).count();
  report.records = file.calls().size();
  report.skipped = file.bad_records().size();
  metrics.skipped.Increment(static_cast<double>(report.skipped));
  log::info("ingest", "read " + settings.file + ": " + std::to_string(report.records) + " calls" +
                          (report.skipped > 0 ? ", " + std::to_string(report.skipped) + " bad records skipped" : "") +
                          ", " + format("%.1f", static_cast<double>(file.json_bytes()) / 1e6) + " MB of JSON in " +
                          format("%.2f", read_seconds) +
                          " s; replay order: " + (settings.order == ReplayOrder::event_time ? "event time" : "file"));
  for (std::size_t i = 0; i < file.bad_records().size() && i < kBadRecordsLogged; ++i) {
    const auto& bad = file.bad_records()[i];
    log::warning("ingest", settings.file + ": record " + std::to_string(bad.index) + " " + bad.reason + ": skipped");
  }
  if (file.bad_records().size() > kBadRecordsLogged) {
    log::warning("ingest", std::to_string(file.bad_records().size() - kBadRecordsLogged) +
                               " more bad records skipped (ingest.on_error = fail refuses such a file)");
  }
  return file;
}

// One replay of the calls from a resume point: paced, each call with its replay headers,
// those the topic holds already left out, until the end (or forever with ingest.loop) or
// a stop.
class Replay {
 public:
  Replay(const Config& config, kafka::Producer& producer, CounterSync& sync, const std::vector<Call>& calls,
         const std::string& replay_id, const ResumePoint& resume)
      : config_(config),
        producer_(producer),
        sync_(sync),
        calls_(calls),
        resume_(resume),
        next_ahead_(resume_.ahead.begin()),
        position_(resume.position),
        headers_{{std::string(kReplayIdHeader), replay_id}, {std::string(kReplayPositionHeader), ""}} {}

  // Returns the calls of the pass it stopped in that were not sent (0 when not stopped).
  std::uint64_t run(const std::stop_token& stop) {
    const std::uint64_t records = calls_.size();
    // Without ingest.loop a replay resumed at its end sends nothing.
    while (records > 0 && (config_.ingest.loop || position_ < records)) {
      if (const auto not_sent = pass(stop)) {
        return *not_sent;
      }
      if (config_.ingest.loop) {
        log::info("ingest",
                  "end of " + config_.ingest.file + " after " + std::to_string(sent_) + " calls sent; starting over");
      }
    }
    return 0;
  }
  [[nodiscard]] bool stopped() const { return stopped_; }
  [[nodiscard]] std::uint64_t sent() const { return sent_; }
  [[nodiscard]] Clock::time_point start() const { return start_; }

 private:
  // One pass from the current position to the end of the file; the calls not sent when
  // a stop came.
  std::optional<std::uint64_t> pass(const std::stop_token& stop) {
    const std::uint64_t records = calls_.size();
    const std::size_t first = position_ % records;
    const auto pass_start = Clock::now();
    for (std::size_t i = first; i < records; ++i) {
      if (next_ahead_ != resume_.ahead.end() && *next_ahead_ == position_) {
        ++next_ahead_;
        ++position_;
        continue;
      }
      wait_until_due(calls_[i], calls_[first], pass_start, stop);
      if (stop.stop_requested()) {
        stopped_ = true;
        // Those of the pass found in the topic already are accounted for in already_in_topic.
        const std::uint64_t pass_end = position_ + (records - i);
        return records - i -
               static_cast<std::uint64_t>(
                   std::count_if(next_ahead_, resume_.ahead.end(), [&](auto ahead) { return ahead < pass_end; }));
      }
      send(calls_[i]);
    }
    return std::nullopt;
  }

  void wait_until_due(const Call& call, const Call& pass_first, Clock::time_point pass_start,
                      const std::stop_token& stop) {
    Clock::time_point due{};
    if (config_.ingest.rate > 0) {
      due = start_ + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double>(static_cast<double>(sent_) / config_.ingest.rate));
    } else if (config_.ingest.speedup > 0) {
      // From the pass's first call sent: a resumed pass does not wait out the gaps of
      // the calls it leaves out.
      due = pass_start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                             static_cast<double>(call.time - pass_first.time) / config_.ingest.speedup));
    }
    if (due > Clock::now()) {
      producer_.poll(std::chrono::milliseconds(0));
      // A paced replay may take minutes for 1,024 calls: the counters follow it anyway.
      sync_if_due();
      sleep_until(due, stop);
    }
  }

  void send(const Call& call) {
    compact_json(call.json, value_);
    headers_[1].second = std::to_string(position_);
    producer_.produce(config_.kafka.topic, RdKafka::Topic::PARTITION_UA, call.crime_id, value_, headers_);
    ++position_;
    ++sent_;
    if ((sent_ & 1023U) == 0) {
      sync_if_due();
    }
  }

  void sync_if_due() {
    if (Clock::now() - last_sync_ > std::chrono::milliseconds(250)) {
      sync_.update();
      last_sync_ = Clock::now();
    }
  }

  const Config& config_;
  kafka::Producer& producer_;
  CounterSync& sync_;
  const std::vector<Call>& calls_;
  const ResumePoint& resume_;
  std::vector<std::uint64_t>::const_iterator next_ahead_;  // the next position not to send again
  std::uint64_t position_;                                 // the next call's: pass x records + index
  kafka::Headers headers_;
  std::string value_;
  const Clock::time_point start_ = Clock::now();
  Clock::time_point last_sync_ = start_;
  std::uint64_t sent_ = 0;
  bool stopped_ = false;
};

// How long the end of a run waits for the last acknowledgements: past the producer's own
// delivery timeout, so that every call is either acknowledged or failed by then.
std::chrono::milliseconds flush_limit(const Config& config) {
  const std::string timeout = kafka::setting_or(config.producer, "message.timeout.ms", "300000");
  return std::chrono::milliseconds(std::stoll(timeout)) + std::chrono::seconds(5);
}

// Waits for the delivery reports of what was sent, and accounts for every call.
void finish(const Config& config, Health::Part& health, kafka::Producer& producer, CounterSync& sync, bool stopped,
            IngestReport& report) {
  if (stopped) {
    log::notice("ingest", "stop requested: " + std::to_string(producer.counts().queued) + " calls sent, " +
                              std::to_string(report.not_sent) + " not sent; waiting for delivery reports");
  }
  const auto limit = flush_limit(config);
  {
    const auto in_call = health.call("waiting for the last acknowledgements", Clock::now() + limit);
    if (!producer.flush(limit)) {
      log::error("ingest", std::to_string(producer.counts().in_flight()) + " calls still unacknowledged after " +
                               detail::seconds_text(limit));
    }
  }
  sync.update();
  const auto counts = producer.counts();
  report.sent = counts.queued;
  report.acked = counts.acked;
  report.failed = counts.failed;
  report.stopped = stopped;
}

// The ingest's turn (turn.hpp), held from before the resume point is looked for until
// the last acknowledgement; nullptr when stopped while waiting for it.
std::unique_ptr<IngestTurn> take_turn(const Config& config, const kafka::RetryPolicy& policy,
                                      const std::stop_token& stop) {
  auto turn = kafka::retry(policy, "join the ingest's group " + IngestTurn::group(config),
                           [&] { return std::make_unique<IngestTurn>(config); });
  return turn->wait(stop) ? std::move(turn) : nullptr;
}

}  // namespace

IngestReport Ingest::run(const std::stop_token& stop) {
  IngestReport report;
  metrics_.ingest.rate_limit.Set(config_.ingest.rate);
  metrics_.ingest.speedup.Set(config_.ingest.speedup);
  const CallFile file = load_calls(config_.ingest, metrics_.ingest, report);
  const auto& calls = file.calls();

  std::uint64_t failures_logged = 0;
  kafka::Producer producer(ingest_producer_settings(config_),
                           [&](std::string_view, std::string_view key, std::string_view reason) {
                             if (++failures_logged <= kBadRecordsLogged || log::enabled(log::Level::debug)) {
                               log::error("ingest", "delivery of call " + std::string(key) + " to " +
                                                        config_.kafka.topic + " failed: " + std::string(reason));
                             }
                           });
  metrics_.describe_producer(config_.producer);
  kafka::RetryPolicy policy;
  policy.give_up_after = config_.kafka.unavailable_timeout;
  policy.stop = stop;
  const bool created = kafka::retry(policy, "create or find the topic '" + config_.kafka.topic + "'", [&] {
    const auto in_call = health_.call("finding the calls topic", Clock::now() + std::chrono::seconds(15));
    return kafka::ensure_topic(producer.handle(), config_.kafka.topic, config_.kafka.partitions,
                               std::chrono::seconds(15));
  });
  if (created) {
    log::notice("ingest", "created topic " + config_.kafka.topic + " with " + std::to_string(config_.kafka.partitions) +
                              " partitions");
  }

  const std::unique_ptr<IngestTurn> turn = take_turn(config_, policy, stop);
  if (!turn) {
    report.stopped = true;
    report.not_sent = calls.size();
    return report;
  }
  // The replay stops for a signal, or when the turn is lost to another instance.
  std::stop_source replay_stop;
  const std::stop_callback on_stop(stop, [&] { replay_stop.request_stop(); });
  const std::stop_callback on_lost(turn->lost(), [&] { replay_stop.request_stop(); });

  const std::string replay_id = replay_fingerprint(calls, config_.ingest.order);
  ResumePoint resume;
  // A topic just created holds nothing to resume after.
  if (config_.ingest.resume && !calls.empty() && !created) {
    const auto in_call = health_.call("finding where to resume",
                                      Clock::now() + config_.kafka.unavailable_timeout + std::chrono::seconds(30));
    resume = find_resume_point(config_, policy, replay_id, calls.size());
  }
  report.resumed_at = resume.position;
  report.already_in_topic = resume.ahead.size();

  CounterSync sync(metrics_.ingest, producer, health_);
  Replay replay(config_, producer, sync, calls, replay_id, resume);
  report.not_sent = replay.run(replay_stop.get_token());
  finish(config_, health_, producer, sync, replay.stopped(), report);
  report.seconds = std::chrono::duration<double>(Clock::now() - replay.start()).count();
  log::info("ingest", "sent " + std::to_string(report.sent) + ", acknowledged " + std::to_string(report.acked) +
                          ", failed " + std::to_string(report.failed) + ", skipped " + std::to_string(report.skipped) +
                          ", not sent " + std::to_string(report.not_sent) +
                          (report.resumed_at > 0 ? ", resumed at " + std::to_string(report.resumed_at) : "") + " in " +
                          format("%.2f", report.seconds) + " s (" + format("%.0f", report.rate()) + " calls/s)");
  return report;
}

}  // namespace sfcrimed
