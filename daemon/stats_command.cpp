// `sfcrimed stats`: the crime statistics the pipeline has published, read back from the
// stats topic (lib/stats/src/stats_topic.cpp) and the dead-letter topic (lib/kafka/src/topic_reader.cpp).

#include <boost/program_options.hpp>
#include <chrono>
#include <iostream>

#include "commands.hpp"
#include "sfcrimed/kafka_retry.hpp"
#include "sfcrimed/stats_topic.hpp"
#include "sfcrimed/topic_reader.hpp"

namespace sfcrimed::daemon {
namespace {

// The first message of the stats topic that is not a stats entry, and how many there were.
struct Refused {
  std::uint64_t count = 0;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string reason;
};

}  // namespace

int stats_command(int argc, const char* const* argv) {
  namespace po = boost::program_options;
  std::string bootstrap = "localhost:9092";
  std::string topic = "sf.police.calls";
  std::string stats_topic;
  std::string dlq_topic;
  bool json = false;
  bool with_windows = false;
  int top = 10;
  double timeout_seconds = 30;
  po::options_description description(
      "Usage: sfcrimed stats --bootstrap HOST:PORT --topic T [--stats-topic NAME] [--dlq-topic NAME]\n"
      "                      [--json] [--windows] [--top N] [--timeout SECONDS]\n\n"
      "Prints the crime statistics the pipeline has published so far: reads the stats topic to its end\n"
      "(the latest count per window, crime type or disposition, and calls-topic partition), sums the\n"
      "counts, and counts the malformed calls in the dead-letter topic. Tables of the largest counts,\n"
      "or one JSON line with --json. Needs no consumer group and commits nothing.\n\n"
      "Example:\n"
      "  sfcrimed stats --bootstrap localhost:9092 --topic sf.police.calls --top 5 --windows\n\n"
      "Exit status: 0 printed; 64 wrong arguments; 69 Kafka cannot be used or the stats topic does not exist.\n\n"
      "Options");
  description.add_options()                                                                                  //
      ("bootstrap,b", po::value(&bootstrap)->default_value(bootstrap), "Kafka brokers")                      //
      ("topic,t", po::value(&topic)->default_value(topic), "the calls topic the pipeline read")              //
      ("stats-topic", po::value(&stats_topic), "the stats topic (default: T.stats)")                         //
      ("dlq-topic", po::value(&dlq_topic), "the dead-letter topic of malformed calls (default: T.dlq)")      //
      ("json", po::bool_switch(&json), "print one JSON line instead of tables")                              //
      ("windows", po::bool_switch(&with_windows), "add the counts per window (per crime type with --json)")  //
      ("top", po::value(&top)->default_value(top), "rows per table, largest first (0: all)")                 //
      ("timeout", po::value(&timeout_seconds)->default_value(timeout_seconds),
       "give up when the topics are not read to their end within this many seconds")  //
      ("help,h", "print this help");
  po::variables_map vm;
  if (const auto status = parse_subcommand("stats", description, argc, argv, vm)) {
    return *status;
  }
  if (top < 0) {
    std::cerr << "sfcrimed stats: --top must be 0 or more (0: all rows)\n";
    return kExitUsage;
  }
  // A day is more than any topic needs, and keeps the clock arithmetic far from overflow.
  if (!(timeout_seconds > 0 && timeout_seconds <= 86400)) {
    std::cerr << "sfcrimed stats: --timeout must be more than 0 and at most 86400 seconds\n";
    return kExitUsage;
  }
  if (stats_topic.empty()) {
    stats_topic = topic + ".stats";
  }
  if (dlq_topic.empty()) {
    dlq_topic = topic + ".dlq";
  }

  // One time limit for both topics: the dead-letter topic gets what the stats topic left.
  using Clock = std::chrono::steady_clock;
  const auto timeout =
      std::max(std::chrono::milliseconds(1),
               std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::duration<double>(timeout_seconds)));
  const auto deadline = Clock::now() + timeout;
  const auto time_left = [&] {
    return std::max(std::chrono::milliseconds(1),
                    std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
  };
  const kafka::Settings settings = {{"bootstrap.servers", bootstrap}};
  // A failover while reading (a leader moving, a broker restarting) is read through again,
  // from the start, within the same time limit.
  kafka::RetryPolicy policy;
  policy.give_up_after = timeout;
  StatsTotals totals;
  Refused refused;
  try {
    kafka::retry(policy, "read the stats topic '" + stats_topic + "'", [&] {
      totals = StatsTotals();
      refused = Refused();
      kafka::read_stats_topic(settings, stats_topic, totals, time_left(),
                              [&](const RdKafka::Message& message, const std::string& why) {
                                if (refused.count++ == 0) {
                                  refused.partition = message.partition();
                                  refused.offset = message.offset();
                                  refused.reason = why;
                                }
                              });
    });
  } catch (const kafka::NoSuchTopic& e) {
    std::cerr << "sfcrimed stats: " << e.what()
              << "; has the pipeline run? It writes the stats topic (--stats-topic names another)\n";
    return kExitUnavailable;
  } catch (const std::exception& e) {
    std::cerr << "sfcrimed stats: " << e.what() << "\n";
    return kExitUnavailable;
  }
  if (refused.count > 0) {
    std::cerr << "sfcrimed stats: warning: " << refused.count << " message(s) of " << stats_topic
              << " are not stats entries and were left out; the first, partition " << refused.partition << " offset "
              << refused.offset << ": " << refused.reason << "\n";
  }

  try {
    totals.set_malformed(kafka::retry(policy, "read the dead-letter topic '" + dlq_topic + "'", [&] {
      return kafka::read_to_end(
          settings, dlq_topic, [](const RdKafka::Message&) {}, time_left());
    }));
  } catch (const kafka::NoSuchTopic&) {
    // No dead-letter topic holds no malformed calls; said on stderr in case the name is wrong.
    std::cerr << "sfcrimed stats: no dead-letter topic " << dlq_topic << " on " << bootstrap << ": 0 malformed calls\n";
  } catch (const std::exception& e) {
    std::cerr << "sfcrimed stats: " << e.what() << "\n";
    return kExitUnavailable;
  }

  if (json) {
    std::cout << totals.to_json(with_windows) << "\n";
  } else {
    std::cout << totals.to_tables(static_cast<std::size_t>(top), with_windows);
  }
  return 0;
}

}  // namespace sfcrimed::daemon
