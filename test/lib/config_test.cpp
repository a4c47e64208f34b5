#include "sfcrimed/config.hpp"

#include <catch2/catch.hpp>
#include <vector>

#include "temp_files.hpp"

using sfcrimed::Action;
using sfcrimed::ConfigError;
using sfcrimed::parse_invocation;
using sfcrimed::test::TempDir;

namespace {

sfcrimed::Invocation parse(std::vector<std::string> args) {
  args.insert(args.begin(), "sfcrimed");
  std::vector<const char*> argv;
  argv.reserve(args.size());
  for (const auto& arg : args) {
    argv.push_back(arg.c_str());
  }
  return parse_invocation(static_cast<int>(argv.size()), argv.data());
}

std::string error_of(std::vector<std::string> args) {
  try {
    parse(std::move(args));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("defaults, then the ini file, then the command line", "[config]") {
  TempDir dir;
  const std::string calls = dir.write("calls.json", "[]");
  const std::string ini = dir.write("sfcrimed.ini", "[kafka]\ntopic = from.file\n[ingest]\nrate = 50\nfile = " + calls +
                                                        "\n[producer]\nlinger.ms = 7\nsocket.timeout.ms = 9000\n");
  const auto invocation = parse({"--config", ini, "--ingest.rate", "500", "--producer.linger.ms", "9"});
  const auto& config = invocation.config;
  CHECK(invocation.action == Action::run);
  CHECK(config.kafka.bootstrap == "localhost:9092");  // default
  CHECK(config.kafka.topic == "from.file");           // file
  CHECK(config.ingest.rate == 500);                   // command line over file
  CHECK(sfcrimed::kafka::setting_or(config.producer, "linger.ms", "") == "9");
  CHECK(sfcrimed::kafka::setting_or(config.producer, "socket.timeout.ms", "") == "9000");  // passed through
  CHECK(sfcrimed::kafka::setting_or(config.producer, "acks", "") == "all");
  CHECK(sfcrimed::kafka::setting_or(config.producer, "enable.idempotence", "") == "true");
}

TEST_CASE("help and version answer without a valid configuration", "[config]") {
  CHECK(parse({"--help"}).action == Action::help);
  CHECK(parse({"--version", "--ingest.rate", "-1"}).action == Action::version);
}

TEST_CASE("configuration errors say where, which setting, and what is wrong", "[config]") {
  TempDir dir;
  const std::string calls = dir.write("calls.json", "[]");
  const std::string typo = dir.write("typo.ini", "[ingest]\n# comment\nfile = " + calls + "\nrat = 5\n");
  CHECK(error_of({"--config", typo}) ==
        typo + ":4 ([ingest] rat): unknown setting 'rat' in [ingest]; etc/sfcrimed.ini lists every setting");
  const std::string wrong_type = dir.write("type.ini", "[ingest]\nfile = " + calls + "\nrate = fast\n");
  CHECK_THAT(error_of({"--config", wrong_type}), Catch::StartsWith(wrong_type + ":3 ([ingest] rate): "));
  CHECK_THAT(error_of({"--config", dir.file("none.ini")}),
             Catch::Contains("cannot read the configuration file (No such file or directory)"));
  CHECK_THAT(error_of({"--ingest.file", calls, "--ingest.rate", "-3"}),
             Catch::StartsWith("the command line (--ingest.rate): must be 0"));
  CHECK_THAT(error_of({"--ingest.file", calls, "--ingest.rate", "5", "--ingest.speedup", "2"}),
             Catch::Contains("give a rate or a speedup, not both"));
  CHECK_THAT(error_of({"--ingest.file", calls, "--ingest.order", "random"}), Catch::Contains("use time or file"));
  CHECK_THAT(error_of({"--ingest.file", calls, "--ingest.on_error", "ignore"}), Catch::Contains("use skip or fail"));
  CHECK_THAT(error_of({"--ingest.file", calls, "--log.level", "loud"}), Catch::Contains("'loud' is not a level"));
  CHECK_THAT(error_of({"--ingest.file", dir.file("none.json")}),
             Catch::StartsWith("the command line (--ingest.file): cannot read"));
  CHECK_THAT(error_of({}), Catch::Contains("the ingest needs a file of calls"));
  CHECK_THAT(error_of({"--ingest.enabled", "false"}), Catch::Contains("false leaves nothing to run"));
  CHECK_THAT(error_of({"--ingest.file", calls, "--producer.acks=1"}),
             Catch::Contains("always runs its producer with acks=all"));
  CHECK_THAT(error_of({"--ingest.file", calls, "--producer.lingerr.ms=1"}),
             Catch::Contains("(--producer.lingerr.ms)") && Catch::Contains("No such configuration property"));
  CHECK_THAT(error_of({"--ingest.file", calls, "--nosuch"}), Catch::Contains("unknown option '--nosuch'"));
  CHECK_THAT(error_of({"--ingest.file", calls, "--ingest.loop", "true", "--drain"}),
             Catch::Contains("--drain would never exit"));
}

TEST_CASE("the effective configuration prints as ini text, secrets masked", "[config]") {
  TempDir dir;
  const std::string calls = dir.write("calls.json", "[]");
  const auto config = parse({"--ingest.file", calls, "--producer.sasl.password=hunter2"}).config;
  const std::string ini = sfcrimed::to_ini(config);
  CHECK_THAT(ini, Catch::Contains("[ingest]\nenabled = true\nfile = " + calls + "\norder = time\n"));
  CHECK_THAT(ini, Catch::Contains("sasl.password = ********"));
  CHECK_THAT(ini, !Catch::Contains("hunter2"));
}
