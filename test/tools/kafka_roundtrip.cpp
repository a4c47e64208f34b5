// kafka_roundtrip: produces N keyed messages to a topic of a real broker with the
// project's producer (idempotent, acks=all), reads them back from the beginning with the
// project's consumer in a fresh group, and checks each key arrived once with its value.
//
//   kafka_roundtrip --bootstrap localhost:19092 --topic t [--count 1000]
// Exit status 0 when every message was acknowledged and read back intact, 1 otherwise.

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <string_view>

#include "sfcrimed/consumer.hpp"
#include "sfcrimed/producer.hpp"
#include "tool.hpp"

using namespace std::chrono_literals;

namespace {

int fail(const std::string& why) { return sfcrimed::test::fail("kafka_roundtrip", why); }

std::string value_of(int i) { return R"({"crime_id":")" + std::to_string(i) + R"(","n":)" + std::to_string(i) + "}"; }

}  // namespace

int main(int argc, char** argv) {
  auto flags = sfcrimed::test::read_flags(argc, argv);
  const std::string bootstrap = flags["--bootstrap"];
  const std::string topic = flags["--topic"];
  const int count = flags.contains("--count") ? std::atoi(flags["--count"].c_str()) : 1000;
  if (bootstrap.empty() || topic.empty() || count <= 0) {
    std::cerr << "usage: kafka_roundtrip --bootstrap HOST:PORT --topic TOPIC [--count N]\n";
    return 64;
  }

  try {
    const auto producer_owner = sfcrimed::test::reliable_producer(bootstrap, "kafka_roundtrip");
    auto& producer = *producer_owner;
    for (int i = 0; i < count; ++i) {
      producer.produce(topic, std::to_string(i), value_of(i));
    }
    if (!producer.flush(60s)) {
      return fail(std::to_string(producer.counts().in_flight()) + " message(s) still unacknowledged after 60 s");
    }
    const auto counts = producer.counts();
    std::cout << "produced " << counts.queued << ", acknowledged " << counts.acked << ", failed " << counts.failed
              << "\n";
    if (counts.acked != static_cast<std::uint64_t>(count)) {
      return fail("not every message was acknowledged");
    }

    sfcrimed::kafka::Consumer consumer(
        {{"bootstrap.servers", bootstrap},
         {"group.id", "kafka-roundtrip-" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count())},
         {"auto.offset.reset", "earliest"},
         {"enable.partition.eof", "false"}});
    consumer.subscribe({topic});
    std::map<int, int> seen;  // key -> times read
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (static_cast<int>(seen.size()) < count && std::chrono::steady_clock::now() < deadline) {
      const auto message = consumer.poll(200ms);
      if (!message) {
        continue;
      }
      if (message->err() != RdKafka::ERR_NO_ERROR) {
        std::cerr << "kafka_roundtrip: consumer: " << message->errstr() << "\n";
        continue;
      }
      const int key = std::stoi(*message->key());
      const std::string_view value(static_cast<const char*>(message->payload()), message->len());
      if (value != value_of(key)) {
        return fail("key " + std::to_string(key) + " came back with value '" + std::string(value) + "'");
      }
      ++seen[key];
    }
    consumer.commit();
    consumer.close();
    for (const auto& [key, times] : seen) {
      if (times != 1) {
        return fail("key " + std::to_string(key) + " read " + std::to_string(times) + " times");
      }
    }
    if (static_cast<int>(seen.size()) != count) {
      return fail("read back " + std::to_string(seen.size()) + " of " + std::to_string(count) + " messages");
    }
    std::cout << "read back " << seen.size() << " of " << count << " messages intact\n";
    return EXIT_SUCCESS;
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}
