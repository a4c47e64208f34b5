// `sfcrimed stats`: the crime statistics the pipeline has published, read back from the
// stats topic (lib/stats/src/stats_topic.cpp) and the dead-letter topic (lib/kafka/src/topic_reader.cpp).

#include <boost/program_options.hpp>
#include <chrono>
#include <iostream>

#include "commands.hpp"
#include "sfcrimed/client_settings.hpp"
#include "sfcrimed/kafka_retry.hpp"
#include "sfcrimed/stats_topic.hpp"
#include "sfcrimed/topic_reader.hpp"

namespace sfcrimed::daemon {
namespace {

namespace po = boost::program_options;
using Clock = std::chrono::steady_clock;

// The first message of the stats topic that is not a stats entry, and how many there were.
struct Refused {
  std::uint64_t count = 0;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string reason;
};

// One run of the command: its options, then the two topics read within one time limit
// (the dead-letter topic gets what the stats topic left), then the totals printed.
class StatsCommand {
 public:
  // Reads and checks the options; the status to exit with when the command should not go on.
  std::optional<int> parse(int argc, const char* const* argv);

  // Reads the topics and prints the totals; the exit status.
  int run();

 private:
  po::options_description describe();
  [[nodiscard]] std::optional<int> check_and_complete();
  [[nodiscard]] std::chrono::milliseconds time_left() const;
  std::optional<int> read_stats();
  std::optional<int> count_malformed();
  void print() const;

  CommandConnection connection_;
  Config config_;  // the connection: --config's files and --bootstrap (client_settings.hpp)
  std::string topic_;
  std::string stats_topic_;
  std::string dlq_topic_;
  bool json_ = false;
  bool with_windows_ = false;
  int top_ = 10;
  double timeout_seconds_ = 30;

  kafka::Settings settings_;
  // A failover while reading (a leader moving, a broker restarting) is read through again,
  // from the start, within the same time limit.
  kafka::RetryPolicy policy_;
  Clock::time_point deadline_;
  StatsTotals totals_;
  Refused refused_;
};

po::options_description StatsCommand::describe() {
  po::options_description description(
      "Usage: sfcrimed stats [--config FILE]... [--bootstrap HOST:PORT] [--topic T] [--stats-topic NAME]\n"
      "                      [--dlq-topic NAME] [--json] [--windows] [--top N] [--timeout SECONDS]\n\n"
      "Prints the crime statistics the pipeline has published so far: reads the stats topic to its end\n"
      "(the latest count per window, crime type or disposition, and calls-topic partition), sums the\n"
      "counts, and counts the malformed calls in the dead-letter topic. Tables of the largest counts,\n"
      "or one JSON line with --json. Needs no consumer group and commits nothing.\n\n"
      "Examples:\n"
      "  sfcrimed stats --bootstrap localhost:9092 --topic sf.police.calls --top 5 --windows\n"
      "  sfcrimed stats --config /etc/sfcrimed/sfcrimed.ini --config /etc/sfcrimed/credentials.ini --json\n\n"
      "Exit status: 0 printed; 64 wrong arguments; 69 Kafka cannot be used or the stats topic does not exist;\n"
      "78 a --config file is wrong.\n\n"
      "Options");
  connection_.describe(description);
  description.add_options()                                                                                          //
      ("topic,t", po::value(&topic_), "the calls topic the pipeline read (default: the files' or sf.police.calls)")  //
      ("stats-topic", po::value(&stats_topic_), "the stats topic (default: the files', or T.stats)")                 //
      ("dlq-topic", po::value(&dlq_topic_),
       "the dead-letter topic of malformed calls (default: the files', or T.dlq)")                            //
      ("json", po::bool_switch(&json_), "print one JSON line instead of tables")                              //
      ("windows", po::bool_switch(&with_windows_), "add the counts per window (per crime type with --json)")  //
      ("top", po::value(&top_)->default_value(top_), "rows per table, largest first (0: all)")                //
      ("timeout", po::value(&timeout_seconds_)->default_value(timeout_seconds_),
       "give up when the topics are not read to their end within this many seconds")  //
      ("help,h", "print this help");
  return description;
}

std::optional<int> StatsCommand::parse(int argc, const char* const* argv) {
  po::variables_map vm;
  if (const auto status = parse_subcommand("stats", describe(), argc, argv, vm)) {
    return status;
  }
  if (const auto status = connection_.read("stats", vm, config_)) {
    return status;
  }
  return check_and_complete();
}

std::optional<int> StatsCommand::check_and_complete() {
  if (top_ < 0) {
    std::cerr << "sfcrimed stats: --top must be 0 or more (0: all rows)\n";
    return kExitUsage;
  }
  // A day is more than any topic needs, and keeps the clock arithmetic far from overflow.
  if (!(timeout_seconds_ > 0 && timeout_seconds_ <= 86400)) {
    std::cerr << "sfcrimed stats: --timeout must be more than 0 and at most 86400 seconds\n";
    return kExitUsage;
  }
  if (!topic_.empty()) {
    config_.kafka.topic = topic_;
  }
  if (stats_topic_.empty()) {
    stats_topic_ = stats_topic(config_);
  }
  if (dlq_topic_.empty()) {
    dlq_topic_ = dlq_topic(config_);
  }
  return std::nullopt;
}

std::chrono::milliseconds StatsCommand::time_left() const {
  return std::max(std::chrono::milliseconds(1),
                  std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now()));
}

int StatsCommand::run() {
  const auto timeout =
      std::max(std::chrono::milliseconds(1),
               std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::duration<double>(timeout_seconds_)));
  deadline_ = Clock::now() + timeout;
  settings_ = stats_command_settings(config_);
  policy_.give_up_after = timeout;
  if (const auto status = read_stats()) {
    return *status;
  }
  if (const auto status = count_malformed()) {
    return *status;
  }
  print();
  return 0;
}

std::optional<int> StatsCommand::read_stats() {
  try {
    kafka::retry(policy_, "read the stats topic '" + stats_topic_ + "'", [&] {
      totals_ = StatsTotals();
      refused_ = Refused();
      kafka::read_stats_topic(settings_, stats_topic_, totals_, time_left(),
                              [&](const RdKafka::Message& message, const std::string& why) {
                                if (refused_.count++ == 0) {
                                  refused_.partition = message.partition();
                                  refused_.offset = message.offset();
                                  refused_.reason = why;
                                }
                              });
    });
  } catch (const kafka::NoSuchTopic& e) {
    std::cerr << "sfcrimed stats: " << e.what()
              << "; has the pipeline run? It writes the stats topic (--stats-topic names another)\n";
    return kExitUnavailable;
  } catch (const OldStatsFormat& e) {
    std::cerr << "sfcrimed stats: " << e.what() << "\n";
    return kExitDataError;
  } catch (const std::exception& e) {
    std::cerr << "sfcrimed stats: " << e.what() << "\n";
    return kExitUnavailable;
  }
  if (refused_.count > 0) {
    std::cerr << "sfcrimed stats: warning: " << refused_.count << " message(s) of " << stats_topic_
              << " are not stats entries and were left out; the first, partition " << refused_.partition << " offset "
              << refused_.offset << ": " << refused_.reason << "\n";
  }
  return std::nullopt;
}

std::optional<int> StatsCommand::count_malformed() {
  try {
    const auto letters = kafka::retry(policy_, "read the dead-letter topic '" + dlq_topic_ + "'",
                                      [&] { return kafka::count_dead_letters(settings_, dlq_topic_, time_left()); });
    totals_.set_malformed(letters.malformed);
    totals_.set_late(letters.late);
  } catch (const kafka::NoSuchTopic&) {
    // No dead-letter topic holds no malformed calls; said on stderr in case the name is wrong.
    std::cerr << "sfcrimed stats: no dead-letter topic " << dlq_topic_ << " on " << config_.kafka.bootstrap
              << ": 0 malformed calls\n";
  } catch (const std::exception& e) {
    std::cerr << "sfcrimed stats: " << e.what() << "\n";
    return kExitUnavailable;
  }
  return std::nullopt;
}

void StatsCommand::print() const {
  if (json_) {
    std::cout << totals_.to_json(with_windows_) << "\n";
  } else {
    std::cout << totals_.to_tables(static_cast<std::size_t>(top_), with_windows_);
  }
}

}  // namespace

int stats_command(int argc, const char* const* argv) {
  StatsCommand command;
  if (const auto status = command.parse(argc, argv)) {
    return *status;
  }
  return command.run();
}

}  // namespace sfcrimed::daemon
