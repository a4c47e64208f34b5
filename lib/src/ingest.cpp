#include "sfcrimed/ingest.hpp"

#include <librdkafka/rdkafka.h>
// rdkafka_mock.h needs rdkafka.h first.
#include <librdkafka/rdkafka_mock.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include "detail/format.hpp"
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

// Brings the Prometheus counters level with the producer's own count.
class CounterSync {
 public:
  CounterSync(IngestMetrics& metrics, const kafka::Producer& producer) : metrics_(metrics), producer_(producer) {}
  void update() {
    const auto counts = producer_.counts();
    metrics_.sent.Increment(static_cast<double>(counts.queued - last_.queued));
    metrics_.acked.Increment(static_cast<double>(counts.acked - last_.acked));
    metrics_.failed.Increment(static_cast<double>(counts.failed - last_.failed));
    last_ = counts;
  }

 private:
  IngestMetrics& metrics_;
  const kafka::Producer& producer_;
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

// The brokers where the calls topic is: kafka.bootstrap, or the mock cluster of a
// producer that runs one (test.mock.num.brokers), with the producer's security settings
// so that the reader gets in where the producer does.
kafka::Settings reader_settings(const Config& config, kafka::Producer& producer) {
  const rd_kafka_mock_cluster_t* mock = rd_kafka_handle_mock_cluster(producer.handle().c_ptr());
  kafka::Settings settings = {
      {"bootstrap.servers", mock != nullptr ? rd_kafka_mock_cluster_bootstraps(mock) : config.kafka.bootstrap},
      {"client.id", "sfcrimed-ingest-resume"}};
  for (const auto& [name, value] : config.producer) {
    if (name.starts_with("security.") || name.starts_with("sasl.") || name.starts_with("ssl.")) {
      settings.emplace_back(name, value);
    }
  }
  return settings;
}

// The marks of this replay's messages among the last `count` of each partition.
std::vector<ReplayMark> last_marks(const kafka::Settings& settings, const std::string& topic, std::int64_t count) {
  std::vector<ReplayMark> marks;
  try {
    kafka::read_last_messages(
        settings, topic, count,
        [&marks](const RdKafka::Message& message) {
          if (auto mark = replay_mark(message)) {
            marks.push_back(std::move(*mark));
          }
        },
        std::chrono::seconds(15));
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string(e.what()) +
                             "; this is how the ingest finds where to resume (ingest.resume = false replays from the "
                             "start without looking)");
  }
  return marks;
}

// Where to start: after what an earlier run of the same replay left in the calls topic.
// Logs what it finds.
ResumePoint find_resume_point(const Config& config, kafka::Producer& producer, const std::string& replay_id,
                              std::uint64_t records) {
  const std::string& topic = config.kafka.topic;
  const kafka::Settings settings = reader_settings(config, producer);
  ResumePoint point = resume_point(last_marks(settings, topic, 1), replay_id);
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
    add_found(point, last_marks(settings, topic, static_cast<std::int64_t>(point.highest + 1 - point.position)),
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

Ingest::Ingest(const Config& config, Metrics& metrics) : config_(config), metrics_(metrics) {}

IngestReport Ingest::run(const std::stop_token& stop, std::chrono::milliseconds flush_timeout) {
  IngestReport report;
  const IngestConfig& settings = config_.ingest;
  metrics_.ingest.rate_limit.Set(settings.rate);
  metrics_.ingest.speedup.Set(settings.speedup);

  const auto read_start = Clock::now();
  // Everything is read and checked before anything is sent: with ingest.on_error = fail
  // a bad file sends nothing (CallFileError leaves here).
  const CallFile file = CallFile::load(settings.file, settings.order, settings.on_error);
  const double read_seconds = std::chrono::duration<double>(Clock::now() - read_start).count();
  const auto& calls = file.calls();
  report.records = calls.size();
  report.skipped = file.bad_records().size();
  metrics_.ingest.skipped.Increment(static_cast<double>(report.skipped));
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

  kafka::Settings producer_settings = {{"bootstrap.servers", config_.kafka.bootstrap},
                                       {"client.id", "sfcrimed-ingest"}};
  producer_settings.insert(producer_settings.end(), config_.producer.begin(), config_.producer.end());
  std::uint64_t failures_logged = 0;
  kafka::Producer producer(producer_settings, [&](std::string_view, std::string_view key, std::string_view reason) {
    if (++failures_logged <= kBadRecordsLogged || log::enabled(log::Level::debug)) {
      log::error("ingest", "delivery of call " + std::string(key) + " to " + config_.kafka.topic +
                               " failed: " + std::string(reason));
    }
  });
  metrics_.describe_producer(config_.producer);
  const bool created =
      kafka::ensure_topic(producer.handle(), config_.kafka.topic, config_.kafka.partitions, std::chrono::seconds(15));
  if (created) {
    log::notice("ingest", "created topic " + config_.kafka.topic + " with " + std::to_string(config_.kafka.partitions) +
                              " partitions");
  }

  const std::string replay_id = replay_fingerprint(calls, settings.order);
  const std::uint64_t records = calls.size();
  ResumePoint resume;
  // A topic just created holds nothing to resume after.
  if (settings.resume && records > 0 && !created) {
    resume = find_resume_point(config_, producer, replay_id, records);
  }
  std::uint64_t position = resume.position;  // the next call's: pass x records + index
  report.resumed_at = position;
  report.already_in_topic = resume.ahead.size();
  auto next_ahead = resume.ahead.begin();  // the next position not to send again

  CounterSync sync(metrics_.ingest, producer);
  std::string value;
  kafka::Headers headers = {{std::string(kReplayIdHeader), replay_id}, {std::string(kReplayPositionHeader), ""}};
  const auto start = Clock::now();
  auto last_sync = start;
  std::uint64_t sent = 0;
  bool stopped = false;
  // Without ingest.loop a replay resumed at its end sends nothing.
  while (records > 0 && (settings.loop || position < records) && !stopped) {
    const std::size_t first = position % records;
    const auto pass_start = Clock::now();
    for (std::size_t i = first; i < records; ++i) {
      if (next_ahead != resume.ahead.end() && *next_ahead == position) {
        ++next_ahead;
        ++position;
        continue;
      }
      const Call& call = calls[i];
      Clock::time_point due{};
      if (settings.rate > 0) {
        due = start + std::chrono::duration_cast<Clock::duration>(
                          std::chrono::duration<double>(static_cast<double>(sent) / settings.rate));
      } else if (settings.speedup > 0) {
        // From the pass's first call sent: a resumed pass does not wait out the gaps of
        // the calls it leaves out.
        due = pass_start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                               static_cast<double>(call.time - calls[first].time) / settings.speedup));
      }
      if (due > Clock::now()) {
        producer.poll(std::chrono::milliseconds(0));
        // A paced replay may take minutes for 1,024 calls: the counters follow it anyway.
        if (Clock::now() - last_sync > std::chrono::milliseconds(250)) {
          sync.update();
          last_sync = Clock::now();
        }
        sleep_until(due, stop);
      }
      if (stop.stop_requested()) {
        stopped = true;
        // Those of the pass found in the topic already are accounted for in already_in_topic.
        const std::uint64_t pass_end = position + (records - i);
        report.not_sent = records - i -
                          static_cast<std::uint64_t>(std::count_if(next_ahead, resume.ahead.end(),
                                                                   [&](auto ahead) { return ahead < pass_end; }));
        break;
      }
      compact_json(call.json, value);
      headers[1].second = std::to_string(position);
      producer.produce(config_.kafka.topic, RdKafka::Topic::PARTITION_UA, call.crime_id, value, headers);
      ++position;
      ++sent;
      if ((sent & 1023U) == 0 && Clock::now() - last_sync > std::chrono::milliseconds(250)) {
        sync.update();
        last_sync = Clock::now();
      }
    }
    if (settings.loop && !stopped) {
      log::info("ingest", "end of " + settings.file + " after " + std::to_string(sent) + " calls sent; starting over");
    }
  }

  if (stopped) {
    log::notice("ingest", "stop requested: " + std::to_string(sent) + " calls sent, " +
                              std::to_string(report.not_sent) + " not sent; waiting for delivery reports");
  }
  if (!producer.flush(flush_timeout)) {
    log::error("ingest", std::to_string(producer.counts().in_flight()) + " calls still unacknowledged after " +
                             std::to_string(flush_timeout.count() / 1000) + " s");
  }
  sync.update();
  const auto counts = producer.counts();
  report.sent = counts.queued;
  report.acked = counts.acked;
  report.failed = counts.failed;
  report.stopped = stopped;
  report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  log::info("ingest", "sent " + std::to_string(report.sent) + ", acknowledged " + std::to_string(report.acked) +
                          ", failed " + std::to_string(report.failed) + ", skipped " + std::to_string(report.skipped) +
                          ", not sent " + std::to_string(report.not_sent) +
                          (report.resumed_at > 0 ? ", resumed at " + std::to_string(report.resumed_at) : "") + " in " +
                          format("%.2f", report.seconds) + " s (" + format("%.0f", report.rate()) + " calls/s)");
  return report;
}

}  // namespace sfcrimed
