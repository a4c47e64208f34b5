// `sfcrimed consume`: the hand-written consumer (lib/kafka/src/call_consumer.cpp), with Ctrl-C.

#include <boost/program_options.hpp>
#include <csignal>
#include <iostream>
#include <random>

#include "commands.hpp"
#include "sfcrimed/call_consumer.hpp"
#include "sfcrimed/client_settings.hpp"
#include "sfcrimed/topic_reader.hpp"

namespace sfcrimed::daemon {
namespace {

std::atomic<bool> interrupted{false};
extern "C" void on_interrupt(int /*signal*/) { interrupted.store(true); }

// A group of its own, as Kafka's console consumer makes when given none.
std::string new_group_name() {
  std::random_device random;
  return "sfcrimed-consume-" + std::to_string(random() % 100000);
}

}  // namespace

int consume_command(int argc, const char* const* argv) {
  namespace po = boost::program_options;
  CommandConnection connection;
  Config config;  // the connection: --config's files and --bootstrap (client_settings.hpp)
  ConsumeOptions options;
  std::string group;
  bool from_beginning = false;
  po::options_description description(
      "Usage: sfcrimed consume [--config FILE]... [--bootstrap HOST:PORT] --topic T [--group G]\n"
      "                        [--from-beginning] [--max-messages N] [--timeout S] [--json]\n\n"
      "Prints the calls of a topic as a consumer-group member: one line per call, or the calls as JSON\n"
      "lines with --json; a malformed message is shown as such. Commits its offsets and prints the\n"
      "group's lag on exit (Ctrl-C, --max-messages or --timeout).\n\nOptions");
  connection.describe(description);
  description.add_options()  //
      ("topic,t", po::value(&options.topic)->default_value(options.topic),
       "the topic to read (default: the files' [kafka] topic)")                         //
      ("group,g", po::value(&group), "consumer group (default: a new one of its own)")  //
      ("from-beginning", po::bool_switch(&from_beginning),
       "start at the earliest offset when the group has none (default: only new messages)")               //
      ("max-messages", po::value(&options.max_messages), "exit after this many messages")                 //
      ("timeout", po::value(&options.timeout_seconds), "exit after this many seconds without a message")  //
      ("json", po::bool_switch(&options.json), "print JSON lines instead of readable lines")              //
      ("help,h", "print this help");
  po::variables_map vm;
  if (const auto status = parse_subcommand("consume", description, argc, argv, vm)) {
    return *status;
  }
  if (const auto status = connection.read("consume", vm, config)) {
    return *status;
  }
  if (vm["topic"].defaulted()) {
    options.topic = config.kafka.topic;  // the files', or the same default
  }
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  try {
    const kafka::Settings settings =
        consume_command_settings(config, group.empty() ? new_group_name() : group, from_beginning);
    const ConsumeSummary summary = consume_calls(settings, options, std::cout, interrupted);
    std::cerr << "sfcrimed consume: " << summary.calls << " calls, " << summary.malformed << " malformed; lag "
              << summary.lag << (summary.lag_by_partition.empty() ? "" : " (" + summary.lag_by_partition + ")") << "\n";
  } catch (const kafka::NoSuchTopic& e) {
    std::cerr << "sfcrimed consume: " << e.what() << " on " << config.kafka.bootstrap << "\n";
    return kExitUnavailable;
  } catch (const std::exception& e) {
    std::cerr << "sfcrimed consume: " << e.what() << "\n";
    return kExitUnavailable;
  }
  return 0;
}

}  // namespace sfcrimed::daemon
