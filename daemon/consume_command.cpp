// `sfcrimed consume`: the hand-written consumer (lib/kafka/src/call_consumer.cpp), with Ctrl-C.

#include <boost/program_options.hpp>
#include <csignal>
#include <iostream>

#include "commands.hpp"
#include "sfcrimed/call_consumer.hpp"

namespace sfcrimed::daemon {
namespace {

std::atomic<bool> interrupted{false};
extern "C" void on_interrupt(int /*signal*/) { interrupted.store(true); }

}  // namespace

int consume_command(int argc, const char* const* argv) {
  namespace po = boost::program_options;
  ConsumeOptions options;
  po::options_description description(
      "Usage: sfcrimed consume --bootstrap HOST:PORT --topic T [--group G] [--from-beginning]\n"
      "                        [--max-messages N] [--timeout S] [--json]\n\n"
      "Prints the calls of a topic as a consumer-group member: one line per call, or the calls as JSON\n"
      "lines with --json; a malformed message is shown as such. Commits its offsets and prints the\n"
      "group's lag on exit (Ctrl-C, --max-messages or --timeout).\n\nOptions");
  description.add_options()                                                                              //
      ("bootstrap,b", po::value(&options.bootstrap)->default_value(options.bootstrap), "Kafka brokers")  //
      ("topic,t", po::value(&options.topic)->default_value(options.topic), "the topic to read")          //
      ("group,g", po::value(&options.group), "consumer group (default: a new one of its own)")           //
      ("from-beginning", po::bool_switch(&options.from_beginning),
       "start at the earliest offset when the group has none (default: only new messages)")               //
      ("max-messages", po::value(&options.max_messages), "exit after this many messages")                 //
      ("timeout", po::value(&options.timeout_seconds), "exit after this many seconds without a message")  //
      ("json", po::bool_switch(&options.json), "print JSON lines instead of readable lines")              //
      ("help,h", "print this help");
  po::variables_map vm;
  if (const auto status = parse_subcommand("consume", description, argc, argv, vm)) {
    return *status;
  }
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  try {
    const ConsumeSummary summary = consume_calls(options, std::cout, interrupted);
    std::cerr << "sfcrimed consume: " << summary.calls << " calls, " << summary.malformed << " malformed; lag "
              << summary.lag << (summary.lag_by_partition.empty() ? "" : " (" + summary.lag_by_partition + ")") << "\n";
  } catch (const std::exception& e) {
    std::cerr << "sfcrimed consume: " << e.what() << "\n";
    return kExitUnavailable;
  }
  return 0;
}

}  // namespace sfcrimed::daemon
