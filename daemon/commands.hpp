#pragma once
// The entry points of sfcrimed's commands; main() picks one by the first argument.

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/variables_map.hpp>
#include <optional>

namespace sfcrimed::daemon {

// The service (service.hpp): ingest and pipeline until a signal, or the work with --drain.
int run_service(int argc, const char* const* argv);

// `sfcrimed sample --records N --seed S --out FILE`
int sample_command(int argc, const char* const* argv);

// `sfcrimed consume --bootstrap HOST:PORT --topic T ...`
int consume_command(int argc, const char* const* argv);

// `sfcrimed stats --bootstrap HOST:PORT --topic T ...`
int stats_command(int argc, const char* const* argv);

// Parses a subcommand's options into `vm`. Returns the status to exit with when the
// command should not go on: 0 after printing --help, kExitUsage after saying what is wrong.
std::optional<int> parse_subcommand(const char* name, const boost::program_options::options_description& options,
                                    int argc, const char* const* argv, boost::program_options::variables_map& vm);

// Exit statuses (sysexits.h where one fits).
inline constexpr int kExitFailed = 1;        // something was lost or refused on the way
inline constexpr int kExitUsage = 64;        // EX_USAGE: a command's arguments are wrong
inline constexpr int kExitDataError = 65;    // EX_DATAERR: the input file cannot be read as calls
inline constexpr int kExitUnavailable = 69;  // EX_UNAVAILABLE: Kafka, a topic or the metrics port cannot be used

}  // namespace sfcrimed::daemon
