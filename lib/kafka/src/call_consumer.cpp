#include "sfcrimed/call_consumer.hpp"

#include <chrono>
#include <memory>
#include <ostream>
#include <vector>

#include "sfcrimed/consumer.hpp"
#include "sfcrimed/json.hpp"
#include "sfcrimed/topic_reader.hpp"

namespace sfcrimed {
namespace {

// At most `limit` bytes of a message, printable, for showing a malformed one.
std::string excerpt(std::string_view bytes, std::size_t limit) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size() && i < limit; ++i) {
    const auto byte = static_cast<unsigned char>(bytes[i]);
    out += byte >= 0x20 && byte < 0x7f ? bytes[i] : '.';
  }
  if (bytes.size() > limit) {
    out += "... (" + std::to_string(bytes.size()) + " bytes)";
  }
  return out;
}

}  // namespace

std::string call_line(const CallView& call, std::int32_t partition, std::int64_t offset) {
  std::string when(call.call_date_time.substr(0, 16));
  when[10] = ' ';
  std::string line = when + "  " + std::string(call.crime_id) + "  " + std::string(call.crime_type) + "  [" +
                     std::string(call.disposition) + "]";
  if (!call.address.empty()) {
    line += "  " + std::string(call.address);
  }
  return line + "  (p" + std::to_string(partition) + "@" + std::to_string(offset) + ")";
}

namespace {

// Prints one message of the calls topic (a call line, or its JSON; a malformed one with
// its reason); true when it is a call.
bool print_message(const RdKafka::Message& message, bool json, CallParser& parser, std::ostream& out) {
  CallView call;
  std::string reason;
  const std::string_view bytes(static_cast<const char*>(message.payload()), message.len());
  const bool good = parser.parse(bytes, call, reason);
  if (json && good) {
    out << bytes << '\n';
  } else if (json) {
    out << "{\"malformed\":" << json_string(reason, JsonBytes::ascii) << ",\"partition\":" << message.partition()
        << ",\"offset\":" << message.offset() << ",\"value\":" << json_string(bytes, JsonBytes::ascii) << "}\n";
  } else if (good) {
    out << call_line(call, message.partition(), message.offset()) << '\n';
  } else {
    out << "MALFORMED (" << reason << ")  " << excerpt(bytes, 80) << "  (p" << message.partition() << "@"
        << message.offset() << ")\n";
  }
  return good;
}

// Lag: what remains between each assigned partition's end and the group's committed
// offset (a partition this run read nothing from has no position of its own).
void add_lag(kafka::Consumer& consumer, ConsumeSummary& summary) {
  std::vector<RdKafka::TopicPartition*> partitions;
  consumer.handle().assignment(partitions);
  consumer.handle().committed(partitions, 5000);
  for (auto* partition : partitions) {
    std::int64_t low = 0;
    std::int64_t high = 0;
    if (consumer.handle().query_watermark_offsets(partition->topic(), partition->partition(), &low, &high, 5000) !=
        RdKafka::ERR_NO_ERROR) {
      continue;
    }
    const std::int64_t position = partition->offset() >= 0 ? partition->offset() : low;
    const std::int64_t lag = high - position;
    summary.lag += lag;
    summary.lag_by_partition += (summary.lag_by_partition.empty() ? "p" : ", p") +
                                std::to_string(partition->partition()) + " " + std::to_string(lag);
  }
  RdKafka::TopicPartition::destroy(partitions);
}

}  // namespace

ConsumeSummary consume_calls(const kafka::Settings& settings, const ConsumeOptions& options, std::ostream& out,
                             const std::atomic<bool>& stop) {
  kafka::Consumer consumer(settings);
  consumer.subscribe({options.topic});

  ConsumeSummary summary;
  CallParser parser;
  using Clock = std::chrono::steady_clock;
  auto last_message = Clock::now();
  const auto quiet_limit = std::chrono::duration<double>(options.timeout_seconds);
  while (!stop.load() && (options.max_messages == 0 || summary.calls + summary.malformed < options.max_messages)) {
    const auto message = consumer.poll(std::chrono::milliseconds(200));
    if (!message) {
      if (options.timeout_seconds > 0 && Clock::now() - last_message > quiet_limit) {
        break;
      }
      continue;
    }
    if (message->err() != RdKafka::ERR_NO_ERROR) {
      if (message->err() == RdKafka::ERR__UNKNOWN_TOPIC || message->err() == RdKafka::ERR_UNKNOWN_TOPIC_OR_PART) {
        throw kafka::NoSuchTopic("topic '" + options.topic + "' does not exist");  // the caller knows where
      }
      continue;  // transient (a broker restarting): librdkafka retries
    }
    last_message = Clock::now();
    if (print_message(*message, options.json, parser, out)) {
      ++summary.calls;
    } else {
      ++summary.malformed;
    }
  }
  out.flush();
  consumer.commit();

  add_lag(consumer, summary);
  consumer.close();
  return summary;
}

}  // namespace sfcrimed
