// bare_kafka: what Kafka alone costs, for the pipeline benchmarks to compare with.
//
//   bare_kafka drain   --bootstrap HOST:PORT --topic T
//       A bare librdkafka KafkaConsumer with the pipeline's consumer defaults reads every
//       partition from the beginning to its end and does nothing else; prints
//       {"records":N,"seconds":S,"rate":R}.
//   bare_kafka latency --bootstrap HOST:PORT --topic T --rate R --seconds S
//       Produces R records/s for S seconds (the ingest's producer defaults, records of
//       the calls' size) while one consumer in the same process reads them; prints the
//       latency from each record's Kafka timestamp to its consumption, exactly and as
//       sfcrimed's latency histogram would bucket it:
//       {"records":N,"p50":..,"p95":..,"p99":..,"bucketed":{"p50":..,"p95":..,"p99":..}}

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "sfcrimed/config.hpp"
#include "sfcrimed/kafka_admin.hpp"
#include "sfcrimed/metrics.hpp"
#include "sfcrimed/producer.hpp"

namespace {

using Clock = std::chrono::steady_clock;
namespace kafka = sfcrimed::kafka;

std::map<std::string, std::string> options(int argc, char** argv) {
  std::map<std::string, std::string> out;
  for (int i = 2; i + 1 < argc; i += 2) {
    out[argv[i]] = argv[i + 1];
  }
  return out;
}

std::unique_ptr<RdKafka::KafkaConsumer> consumer(const std::string& bootstrap) {
  kafka::Settings settings = {{"bootstrap.servers", bootstrap},
                              {"group.id", "bare-kafka"},
                              {"enable.partition.eof", "true"},
                              {"auto.offset.reset", "earliest"}};
  const auto defaults = sfcrimed::default_consumer_settings();
  settings.insert(settings.end(), defaults.begin(), defaults.end());
  auto conf = kafka::make_conf(settings);
  std::string error;
  std::unique_ptr<RdKafka::KafkaConsumer> created(RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!created) {
    throw std::runtime_error(error);
  }
  return created;
}

// Assigns every partition of `topic` at `offset`; returns the partition count.
int assign_all(RdKafka::KafkaConsumer& consumer, const std::string& topic, std::int64_t offset) {
  const int partitions = kafka::partition_count(consumer, topic, std::chrono::seconds(30));
  if (partitions == 0) {
    throw std::runtime_error("no topic '" + topic + "'");
  }
  std::vector<RdKafka::TopicPartition*> assignment;
  assignment.reserve(static_cast<std::size_t>(partitions));
  for (int p = 0; p < partitions; ++p) {
    assignment.push_back(RdKafka::TopicPartition::create(topic, p, offset));
  }
  consumer.assign(assignment);
  RdKafka::TopicPartition::destroy(assignment);
  return partitions;
}

int drain(const std::string& bootstrap, const std::string& topic) {
  auto reader = consumer(bootstrap);
  int at_end = assign_all(*reader, topic, RdKafka::Topic::OFFSET_BEGINNING);
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;
  Clock::time_point first;
  Clock::time_point last;
  while (at_end > 0) {
    std::unique_ptr<RdKafka::Message> message(reader->consume(1000));
    if (message->err() == RdKafka::ERR_NO_ERROR) {
      if (records++ == 0) {
        first = Clock::now();
      }
      bytes += message->len();
      last = Clock::now();
    } else if (message->err() == RdKafka::ERR__PARTITION_EOF) {
      --at_end;
    }
  }
  const double seconds = std::chrono::duration<double>(last - first).count();
  std::printf("{\"records\":%llu,\"bytes\":%llu,\"seconds\":%.3f,\"rate\":%.1f}\n",
              static_cast<unsigned long long>(records), static_cast<unsigned long long>(bytes), seconds,
              seconds > 0 ? static_cast<double>(records) / seconds : 0.0);
  reader->close();
  return 0;
}

double quantile(const std::vector<double>& sorted, double q) {
  return sorted.empty()
             ? 0
             : sorted[std::min(sorted.size() - 1, static_cast<std::size_t>(q * static_cast<double>(sorted.size())))];
}

// As Prometheus' histogram_quantile() estimates it from sfcrimed's buckets: linear within
// the bucket where the quantile falls.
double bucketed_quantile(const std::vector<double>& sorted, double q) {
  const auto bounds = sfcrimed::latency_buckets();
  std::vector<double> cumulative;
  for (const double bound : bounds) {
    cumulative.push_back(static_cast<double>(std::upper_bound(sorted.begin(), sorted.end(), bound) - sorted.begin()));
  }
  const double rank = q * static_cast<double>(sorted.size());
  double lower = 0;
  double below = 0;
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (cumulative[i] >= rank) {
      const double in_bucket = cumulative[i] - below;
      return lower + (bounds[i] - lower) * (in_bucket > 0 ? (rank - below) / in_bucket : 0);
    }
    lower = bounds[i];
    below = cumulative[i];
  }
  return bounds.back();
}

int latency(const std::string& bootstrap, const std::string& topic, double rate, double seconds) {
  kafka::Settings settings = {{"bootstrap.servers", bootstrap}};
  const auto defaults = sfcrimed::default_producer_settings();
  settings.insert(settings.end(), defaults.begin(), defaults.end());
  kafka::Producer producer(settings);
  kafka::ensure_topic(producer.handle(), topic, 3, std::chrono::seconds(30));
  auto reader = consumer(bootstrap);
  assign_all(*reader, topic, RdKafka::Topic::OFFSET_END);

  const auto total = static_cast<std::uint64_t>(rate * seconds);
  std::atomic<bool> done{false};
  std::vector<double> latencies;
  latencies.reserve(total);
  std::thread consuming([&] {
    while (latencies.size() < total && !done) {
      std::unique_ptr<RdKafka::Message> message(reader->consume(100));
      if (message->err() == RdKafka::ERR_NO_ERROR) {
        const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
        latencies.push_back(now - static_cast<double>(message->timestamp().timestamp) / 1000);
      }
    }
  });
  std::this_thread::sleep_for(std::chrono::seconds(2));  // the consumer fetching from the end
  const std::string value(411, 'x');                     // a call's mean size, as compact JSON
  const auto start = Clock::now();
  for (std::uint64_t i = 0; i < total; ++i) {
    std::this_thread::sleep_until(start + std::chrono::duration_cast<Clock::duration>(
                                              std::chrono::duration<double>(static_cast<double>(i) / rate)));
    producer.produce(topic, std::to_string(i), value);
  }
  producer.flush(std::chrono::seconds(30));
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (latencies.size() < total && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  done = true;
  consuming.join();
  reader->close();
  std::sort(latencies.begin(), latencies.end());
  std::printf(
      "{\"records\":%zu,\"p50\":%.4f,\"p95\":%.4f,\"p99\":%.4f,\"bucketed\":{\"p50\":%.4f,\"p95\":%.4f,\"p99\":%.4f}}"
      "\n",
      latencies.size(), quantile(latencies, 0.5), quantile(latencies, 0.95), quantile(latencies, 0.99),
      bucketed_quantile(latencies, 0.5), bucketed_quantile(latencies, 0.95), bucketed_quantile(latencies, 0.99));
  return latencies.size() == total ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bare_kafka drain|latency --bootstrap HOST:PORT --topic T [--rate R --seconds S]\n");
    return 64;
  }
  auto args = options(argc, argv);
  const std::string mode = argv[1];
  try {
    if (mode == "drain") {
      return drain(args["--bootstrap"], args["--topic"]);
    }
    if (mode == "latency") {
      return latency(args["--bootstrap"], args["--topic"], std::stod(args["--rate"]), std::stod(args["--seconds"]));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bare_kafka: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "bare_kafka: unknown mode '%s'\n", mode.c_str());
  return 64;
}
