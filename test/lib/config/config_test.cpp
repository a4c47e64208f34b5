#include "sfcrimed/config.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <vector>

#include <sys/stat.h>

#include "invocation.hpp"
#include "temp_files.hpp"
#include "test_certificate.hpp"

using sfcrimed::Action;
using sfcrimed::ConfigError;
using sfcrimed::test::TempDir;

using sfcrimed::test::parse;

namespace {

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

TEST_CASE("ingest.resume: on by default, off from the ini file, on again from the command line", "[config]") {
  TempDir dir;
  const std::string calls = dir.write("calls.json", "[]");
  CHECK(parse({"--ingest.file", calls}).config.ingest.resume);
  const std::string ini = dir.write("sfcrimed.ini", "[ingest]\nresume = false\nfile = " + calls + "\n");
  const auto from_file = parse({"--config", ini}).config;
  CHECK_FALSE(from_file.ingest.resume);
  CHECK_THAT(sfcrimed::to_ini(from_file), Catch::Contains("\nloop = false\nresume = false\n"));
  CHECK(parse({"--config", ini, "--ingest.resume", "true"}).config.ingest.resume);
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
  CHECK_THAT(error_of({"--ingest.enabled", "false", "--pipeline.enabled", "false"}),
             Catch::Contains("leaves nothing to run"));
  CHECK_THAT(error_of({"--ingest.enabled", "false", "--consumer.isolation.level=read_uncommitted"}),
             Catch::Contains("always runs its consumer with isolation.level=read_committed"));
  CHECK_THAT(error_of({"--ingest.enabled", "false", "--consumer.group.id=x"}),
             Catch::Contains("is set by pipeline.group"));
  CHECK_THAT(error_of({"--ingest.enabled", "false", "--consumer.partition.assignment.strategy=cooperative-sticky"}),
             Catch::Contains("cannot be changed: (the classic protocol's eager assignors are what it is tested with; "
                             "for incremental rebalances set consumer.group.protocol = consumer)"));
  CHECK_THAT(error_of({"--ingest.enabled", "false", "--pipeline.window", "7m"}),
             Catch::StartsWith("the command line (--pipeline.window): must divide a day"));
  CHECK_THAT(error_of({"--ingest.enabled", "false", "--pipeline.allowed_lateness", "soon"}),
             Catch::Contains("'soon' is not a duration"));
  CHECK_THAT(error_of({"--ingest.enabled", "false", "--pipeline.window", "1500ms"}),
             Catch::Contains("must be whole seconds"));
  CHECK_THAT(error_of({"--ingest.enabled", "false", "--pipeline.threads", "0"}), Catch::Contains("from 1 to 64"));
  CHECK_THAT(error_of({"--ingest.enabled", "false", "--pipeline.radio_codes", dir.file("none.json")}),
             Catch::StartsWith("the command line (--pipeline.radio_codes): cannot read"));
  CHECK_THAT(error_of({"--ingest.file", calls, "--producer.acks=1"}),
             Catch::Contains("always runs its producer with acks=all"));
  CHECK_THAT(error_of({"--ingest.file", calls, "--producer.lingerr.ms=1"}),
             Catch::Contains("(--producer.lingerr.ms)") && Catch::Contains("No such configuration property"));
  CHECK_THAT(error_of({"--ingest.file", calls, "--nosuch"}), Catch::Contains("unknown option '--nosuch'"));
  CHECK_THAT(error_of({"--ingest.file", calls, "--ingest.loop", "true", "--drain"}),
             Catch::Contains("--drain would never exit"));
  CHECK_THAT(error_of({"--ingest.file", calls, "--log.file", dir.file("no/such/dir/sfcrimed.log")}),
             Catch::StartsWith("the command line (--log.file): cannot write to '" + dir.file("no/such/dir") + "'"));
  CHECK_THAT(error_of({"--ingest.file", calls, "--metrics.listen", "9464"}), Catch::Contains("is not host:port"));
  CHECK_THAT(error_of({"--ingest.file", calls, "--metrics.listen", "127.0.0.1:99999"}),
             Catch::Contains("is not a port"));
  CHECK_THAT(error_of({"--ingest.file", calls, "--metrics.listen", "metrics.example:9464"}),
             Catch::Contains("is not an IP address"));
  const std::string bad_codes = dir.write("codes.ini", "[pipeline]\n\nradio_codes = " + dir.file("gone.json") + "\n");
  CHECK_THAT(error_of({"--config", bad_codes, "--ingest.enabled", "false"}),
             Catch::StartsWith(bad_codes + ":3 ([pipeline] radio_codes): cannot read '" + dir.file("gone.json") + "'"));
}

TEST_CASE("a line of the ini file that is neither a section nor a setting is an error", "[config]") {
  TempDir dir;
  const std::string calls = dir.write("calls.json", "[]");
  const std::string ini = dir.write("line.ini", "[ingest]\nfile = " + calls + "\nno equals sign here\n");
  CHECK_THAT(error_of({"--config", ini}), Catch::StartsWith(ini + ": ") && Catch::Contains("no equals sign here"));
}

TEST_CASE("etc/sfcrimed.ini documents every setting, each with its default", "[config]") {
  TempDir dir;
  const std::string calls = dir.write("calls.json", "[]");
  const std::string shipped = SFCRIMED_SOURCE_DIR "/etc/sfcrimed.ini";
  const std::string from_file = sfcrimed::to_ini(parse({"--config", shipped, "--ingest.file", calls}).config);
  const std::string from_defaults = sfcrimed::to_ini(parse({"--ingest.file", calls}).config);
  // The first line names the file read; the rest must be the same.
  CHECK(from_file.substr(from_file.find('\n')) == from_defaults.substr(from_defaults.find('\n')));
  std::ifstream in(shipped);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream lines(from_defaults);
  std::string line;
  while (std::getline(lines, line)) {
    if (const auto equals = line.find(" = "); equals != std::string::npos) {
      const std::string key = line.substr(0, equals);
      INFO(key);
      if (key == "acks" || key == "enable.idempotence" || key == "enable.auto.commit" || key == "isolation.level") {
        continue;  // fixed: the comments say sfcrimed sets them, and they are refused if changed
      }
      const auto at = text.find("\n" + key + " =");
      REQUIRE(at != std::string::npos);
      // Above the setting (and the settings grouped with it) is a comment saying what it is.
      std::size_t line_start = at;
      char first = 'x';
      while (first != '#' && first != '[' && first != '\n' && line_start > 0) {
        line_start = text.rfind('\n', line_start - 1);
        first = text[line_start + 1];
      }
      CHECK(first == '#');
    }
  }
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

TEST_CASE("the pipeline alone needs no file, and names its topics", "[config]") {
  const auto config = parse({"--ingest.enabled", "false", "--kafka.topic", "calls", "--pipeline.window", "15m",
                             "--pipeline.stats_topic", "counts", "--consumer.fetch.wait.max.ms=50"})
                          .config;
  CHECK(config.pipeline.window == std::chrono::minutes(15));
  CHECK(config.pipeline.allowed_lateness == std::chrono::hours(1));
  CHECK(sfcrimed::dlq_topic(config) == "calls.dlq");
  CHECK(sfcrimed::stats_topic(config) == "counts");
  CHECK(sfcrimed::state_topic(config) == "calls.state");
  CHECK(sfcrimed::kafka::setting_or(config.consumer, "fetch.wait.max.ms", "") == "50");
  CHECK(sfcrimed::kafka::setting_or(config.consumer, "enable.auto.commit", "") == "false");
}

TEST_CASE("an instance name is the host name by default, and one Kafka cannot take is refused", "[config]") {
  TempDir dir;
  const std::string calls = dir.write("calls.json", "[]");
  const sfcrimed::Config named = parse({"--ingest.file", calls, "--pipeline.instance", "host-b.2"}).config;
  CHECK(sfcrimed::pipeline_member(named, 1) == "sfcrimed.sf.police.calls.host-b.2.1");
  // The windows stage: its own group, its ids under the threads' prefix (one ACL for both).
  CHECK(sfcrimed::windows_member(named) == "sfcrimed.sf.police.calls.host-b.2.windows");
  CHECK(sfcrimed::windows_group(named) == "sfcrimed.windows");
  CHECK(sfcrimed::windows_topic(named) == "sf.police.calls.windows");
  const sfcrimed::Config unnamed = parse({"--ingest.file", calls}).config;
  CHECK_FALSE(sfcrimed::pipeline_instance(unnamed).empty());
  CHECK_THAT(
      error_of({"--ingest.file", calls, "--pipeline.instance", "host b"}),
      Catch::Contains("pipeline.instance") && Catch::Contains("which Kafka refuses in a member or transactional id"));
  CHECK_THAT(error_of({"--ingest.file", calls, "--pipeline.group", "g/1"}), Catch::Contains("has '/'"));
}

TEST_CASE("two config files: the later overrides the earlier, the client section reaches every client", "[config]") {
  TempDir dir;
  const std::string calls = dir.write("calls.json", "[]");
  const std::string main = dir.write("main.ini",
                                     "[kafka]\nbootstrap = a:9093\ntopic = calls\n[client]\n"
                                     "security.protocol = SASL_SSL\nsasl.mechanism = PLAIN\n");
  const std::string credentials = dir.write("credentials.ini",
                                            "[client]\nsasl.mechanism = SCRAM-SHA-512\n"
                                            "sasl.username = sfcrimed\nsasl.password = hunter2\n"
                                            "[kafka]\nbootstrap = b:9093\n");
  ::chmod(credentials.c_str(), 0600);
  const auto config = parse({"--config", main, "--config", credentials, "--ingest.file", calls}).config;
  CHECK(config.files == std::vector<std::string>{main, credentials});
  CHECK(config.kafka.bootstrap == "b:9093");  // the later file
  CHECK(config.kafka.topic == "calls");       // the earlier one, where the later is silent
  CHECK(sfcrimed::kafka::setting_or(config.client, "security.protocol", "") == "SASL_SSL");
  CHECK(sfcrimed::kafka::setting_or(config.client, "sasl.mechanism", "") == "SCRAM-SHA-512");
  const std::string ini = sfcrimed::to_ini(config);
  CHECK_THAT(ini, Catch::Contains("(from " + main + ", " + credentials + ")"));
  CHECK_THAT(ini, Catch::Contains("[client]\nsasl.mechanism = SCRAM-SHA-512\nsasl.password = ********\n"));
  CHECK_THAT(ini, !Catch::Contains("hunter2"));
  // An error names the file the setting came from.
  const std::string typo = dir.write("typo.ini", "[client]\nsasl.mechanismm = PLAIN\n");
  CHECK_THAT(error_of({"--config", main, "--config", typo, "--ingest.file", calls}),
             Catch::StartsWith(typo + ":2 ([client] sasl.mechanismm): "));
}

TEST_CASE("under systemd the credentials file is read after the --config files", "[config]") {
  TempDir dir;
  const std::string calls = dir.write("calls.json", "[]");
  const std::string main = dir.write("main.ini", "[client]\nsasl.username = from-main\n");
  const std::string credentials = dir.write("credentials.ini", "[client]\nsasl.username = from-credentials\n");
  const std::string directory = std::filesystem::path(credentials).parent_path().string();
  ::setenv("CREDENTIALS_DIRECTORY", directory.c_str(), 1);  // NOLINT(concurrency-mt-unsafe): one thread here
  const auto config = parse({"--config", main, "--ingest.file", calls}).config;
  ::unsetenv("CREDENTIALS_DIRECTORY");  // NOLINT(concurrency-mt-unsafe)
  CHECK(config.files == std::vector<std::string>{main, credentials});
  CHECK(sfcrimed::kafka::setting_or(config.client, "sasl.username", "") == "from-credentials");
}

TEST_CASE("a secret in a file every user can read is refused", "[config]") {
  TempDir dir;
  const std::string calls = dir.write("calls.json", "[]");
  const std::string open = dir.write("open.ini", "[client]\nsasl.username = u\nsasl.password = hunter2\n");
  ::chmod(open.c_str(), 0644);
  const std::string error = error_of({"--config", open, "--ingest.file", calls});
  CHECK_THAT(error, Catch::StartsWith(open +
                                      ":3 ([client] sasl.password): a secret in a file every user can read "
                                      "(mode 0644); make it readable by sfcrimed alone (chmod 600 " +
                                      open + ")"));
  CHECK_THAT(error, !Catch::Contains("hunter2"));
  ::chmod(open.c_str(), 0640);  // a group of its own may read it (root:sfcrimed 0640)
  CHECK(error_of({"--config", open, "--ingest.file", calls}).empty());
  const std::string key = dir.write("key.pem", "a key");
  const std::string no_secret = dir.write("paths.ini", "[client]\nssl.key.location = " + key + "\n");
  ::chmod(no_secret.c_str(), 0644);  // a key's path is no secret
  CHECK(error_of({"--config", no_secret, "--ingest.file", calls}).empty());
}

TEST_CASE("a key or certificate file that cannot be read is a configuration error", "[config]") {
  TempDir dir;
  const std::string calls = dir.write("calls.json", "[]");
  CHECK(error_of({"--ingest.file", calls, "--client.ssl.key.location=" + dir.file("no-key.pem")}) ==
        "the command line (--client.ssl.key.location): cannot read '" + dir.file("no-key.pem") +
            "' (No such file or directory); check the path, and that sfcrimed's user may read it");
  const std::string ca = dir.write("ca.crt", "not checked here: librdkafka reads it");
  CHECK(error_of({"--ingest.file", calls, "--client.ssl.ca.location=" + ca}).empty());
  CHECK(error_of({"--ingest.file", calls, "--client.ssl.ca.location=probe"}).empty());
}

TEST_CASE("which properties are secrets", "[config]") {
  for (const auto* secret :
       {"sasl.password", "ssl.key.password", "ssl.keystore.password", "ssl.key.pem", "sasl.oauthbearer.client.secret",
        "sasl.oauthbearer.config", "sasl.oauthbearer.assertion.private.key.passphrase"}) {
    INFO(secret);
    CHECK(sfcrimed::is_secret_property(secret));
  }
  for (const auto* plain : {"sasl.username", "ssl.key.location", "ssl.ca.location", "ssl.certificate.pem",
                            "security.protocol", "sasl.oauthbearer.client.id"}) {
    INFO(plain);
    CHECK_FALSE(sfcrimed::is_secret_property(plain));
  }
}

TEST_CASE("the commands read the daemon's files for its connection, no calls file needed", "[config]") {
  TempDir dir;
  const std::string ini = dir.write("sfcrimed.ini", "[kafka]\nbootstrap = c:9093\n[client]\nsecurity.protocol = SSL\n");
  const sfcrimed::Config config = sfcrimed::read_config_files({ini});
  CHECK(config.kafka.bootstrap == "c:9093");
  CHECK(sfcrimed::kafka::setting_or(config.client, "security.protocol", "") == "SSL");
  CHECK_THROWS_AS(sfcrimed::read_config_files({dir.file("none.ini")}), ConfigError);
}

TEST_CASE("metrics: TLS files both or neither, PEM; a users file of bcrypt hashes, its line named", "[config]") {
  TempDir dir;
  const std::string calls = dir.write("calls.json", "[]");
  const auto tls = sfcrimed::test::make_test_certificate(dir);
  const std::string hash = "$2b$10$" + std::string(53, 'a');
  const std::string users = dir.write("users", "# who may scrape\nprometheus:" + hash + "\n");
  const auto config = parse({"--ingest.file", calls, "--metrics.tls_certificate", tls.certificate, "--metrics.tls_key",
                             tls.key, "--metrics.users", users, "--metrics.open_healthz", "true"})
                          .config;
  CHECK(config.metrics.tls_certificate == tls.certificate);
  CHECK(config.metrics.tls_key == tls.key);
  CHECK(config.metrics.users == users);
  CHECK(config.metrics.open_healthz);
  CHECK_THAT(sfcrimed::to_ini(config), Catch::Contains("\nusers = " + users + "\nopen_healthz = true\n"));
  const auto defaults = parse({"--ingest.file", calls}).config;
  CHECK(defaults.metrics.tls_certificate.empty());
  CHECK(defaults.metrics.users.empty());
  CHECK_FALSE(defaults.metrics.open_healthz);

  CHECK(error_of({"--ingest.file", calls, "--metrics.tls_certificate", tls.certificate}) ==
        "the command line (--metrics.tls_certificate): is set, and metrics.tls_key is not: give both (HTTPS) or "
        "neither (plain HTTP)");
  CHECK_THAT(error_of({"--ingest.file", calls, "--metrics.tls_key", tls.key}),
             Catch::StartsWith("the command line (--metrics.tls_key): is set, and metrics.tls_certificate is not"));
  CHECK(error_of({"--ingest.file", calls, "--metrics.tls_certificate", dir.file("none.crt"), "--metrics.tls_key",
                  tls.key}) == "the command line (--metrics.tls_certificate): cannot read '" + dir.file("none.crt") +
                                   "' (No such file or directory)");
  CHECK_THAT(
      error_of({"--ingest.file", calls, "--metrics.tls_certificate", tls.key, "--metrics.tls_key", tls.key}),
      Catch::StartsWith("the command line (--metrics.tls_certificate): '" + tls.key + "' holds no PEM certificate"));
  CHECK_THAT(
      error_of(
          {"--ingest.file", calls, "--metrics.tls_certificate", tls.certificate, "--metrics.tls_key", tls.certificate}),
      Catch::StartsWith("the command line (--metrics.tls_key): '" + tls.certificate + "' holds no PEM private key"));

  const std::string md5 =
      dir.write("md5-users", "prometheus:" + hash + "\nalice:$apr1$oJlOcRVH$R4p7xjVv5dg0tr4WyJJzg.\n");
  const std::string ini = dir.write("metrics.ini", "[metrics]\nusers = " + md5 + "\n");
  CHECK_THAT(
      error_of({"--config", ini, "--ingest.file", calls}),
      Catch::StartsWith(ini + ":2 ([metrics] users): " + md5 + ":2: the hash of user 'alice' is not a bcrypt hash"));
  CHECK_THAT(error_of({"--ingest.file", calls, "--metrics.users", dir.file("none")}),
             Catch::StartsWith("the command line (--metrics.users): cannot read '" + dir.file("none") + "'"));
}
