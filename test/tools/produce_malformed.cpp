// produce_malformed: produces every kind of malformed call (test/lib/malformed_calls.hpp)
// to a topic of a real broker with the project's producer (idempotent, acks=all), for the
// integration tests that check what the pipeline does with them.
//
//   produce_malformed --bootstrap localhost:19092 --topic t [--times N]
// Sends each kind N times (default 1) with key malformed-<kind>-<i> (i from 0), prints one
// line per kind ("<kind>: N x B bytes; expected reason: <text the parser's reason
// contains>") and, once the broker has answered for every message, "produced <count>"
// (the messages acknowledged). Exit status 0 when every message was acknowledged, 1
// otherwise. The topic must exist.

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

#include "malformed_calls.hpp"
#include "sfcrimed/kafka_admin.hpp"
#include "sfcrimed/producer.hpp"
#include "tool.hpp"

using namespace std::chrono_literals;

namespace {

int fail(const std::string& why) { return sfcrimed::test::fail("produce_malformed", why); }

}  // namespace

int main(int argc, char** argv) {
  auto flags = sfcrimed::test::read_flags(argc, argv);
  const std::string bootstrap = flags["--bootstrap"];
  const std::string topic = flags["--topic"];
  const int times = flags.contains("--times") ? std::atoi(flags["--times"].c_str()) : 1;
  if (bootstrap.empty() || topic.empty() || times <= 0) {
    std::cerr << "usage: produce_malformed --bootstrap HOST:PORT --topic TOPIC [--times N]\n";
    return 64;
  }

  try {
    // The largest kind (900 KB) fits librdkafka's default message.max.bytes (1,000,000)
    // and the broker's (1 MiB) as they are: raising the producer's limit would only move
    // the refusal to the broker.
    const auto producer_owner = sfcrimed::test::reliable_producer(bootstrap, "produce_malformed");
    auto& producer = *producer_owner;
    // The project's brokers create no topic on first use: without this, every message
    // would wait out message.timeout.ms before failing.
    if (sfcrimed::kafka::partition_count(producer.handle(), topic, 10s) == 0) {
      return fail("topic '" + topic + "' does not exist; create it first (kafka-topics.sh --create)");
    }
    for (const auto& malformed : sfcrimed::test::malformed_calls()) {
      for (int i = 0; i < times; ++i) {
        producer.produce(topic, "malformed-" + std::string(malformed.kind) + "-" + std::to_string(i), malformed.bytes);
      }
      std::cout << malformed.kind << ": " << times << " x " << malformed.bytes.size()
                << " bytes; expected reason: " << malformed.reason << "\n";
    }
    const bool flushed = producer.flush(60s);
    const auto counts = producer.counts();
    std::cout << "produced " << counts.acked << "\n";
    if (!flushed) {
      return fail(std::to_string(counts.in_flight()) + " message(s) still unacknowledged after 60 s");
    }
    if (counts.failed != 0) {
      return fail(std::to_string(counts.failed) + " of " + std::to_string(counts.queued) + " deliveries failed");
    }
    return EXIT_SUCCESS;
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}
