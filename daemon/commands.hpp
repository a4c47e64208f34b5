#pragma once
// The entry points of sfcrimed's commands; main() picks one by the first argument.

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/variables_map.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sfcrimed/config.hpp"

namespace sfcrimed::daemon {

// The service (service.hpp): ingest and pipeline until a signal, or the work with --drain.
int run_service(int argc, const char* const* argv);

// `sfcrimed sample --records N --seed S --out FILE`
int sample_command(int argc, const char* const* argv);

// `sfcrimed consume --bootstrap HOST:PORT --topic T ...`
int consume_command(int argc, const char* const* argv);

// `sfcrimed stats --bootstrap HOST:PORT --topic T ...`
int stats_command(int argc, const char* const* argv);

// `sfcrimed hash-password [--user NAME] < FILE`: a bcrypt hash for metrics.users.
int hash_password_command(int argc, const char* const* argv);

// Parses a subcommand's options into `vm`. Returns the status to exit with when the
// command should not go on: 0 after printing --help, kExitUsage after saying what is wrong.
std::optional<int> parse_subcommand(const char* name, const boost::program_options::options_description& options,
                                    int argc, const char* const* argv, boost::program_options::variables_map& vm);

// The connection options `sfcrimed stats` and `sfcrimed consume` share: --config, as the
// daemon takes it (repeatable; its [kafka] and [client] settings: brokers, topic names,
// security), and --bootstrap over what the files say.
class CommandConnection {
 public:
  // Adds --config and --bootstrap to a command's options.
  void describe(boost::program_options::options_description& description);
  // After parsing: `config` from the files, then --bootstrap; the status to exit with
  // (kExitConfig, said on stderr) when a file is wrong.
  std::optional<int> read(const char* command, const boost::program_options::variables_map& vm, Config& config) const;

 private:
  std::vector<std::string> files_;
  std::string bootstrap_;
};

// Exit statuses (sysexits.h where one fits).
inline constexpr int kExitFailed = 1;        // something was lost or refused on the way
inline constexpr int kExitUsage = 64;        // EX_USAGE: a command's arguments are wrong
inline constexpr int kExitDataError = 65;    // EX_DATAERR: the input file cannot be read as calls
inline constexpr int kExitUnavailable = 69;  // EX_UNAVAILABLE: Kafka, a topic or the metrics port cannot be used

}  // namespace sfcrimed::daemon
