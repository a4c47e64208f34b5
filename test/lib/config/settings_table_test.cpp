#include "sfcrimed/settings_table.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "invocation.hpp"
#include "temp_files.hpp"

using sfcrimed::Config;
using sfcrimed::settings::Setting;
using sfcrimed::test::TempDir;

using sfcrimed::test::parse;

namespace {

struct IniEntry {
  std::string section;
  std::string key;
  std::string value;
  int line = 0;
};

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  return first == std::string::npos ? "" : text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// The `key = value` lines of an ini file, comments left out, and its [sections] in order.
std::vector<IniEntry> ini_entries(const std::string& path, std::vector<std::string>& sections) {
  std::ifstream in(path);
  REQUIRE(in);
  std::vector<IniEntry> entries;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    line = trimmed(line);
    if (line.empty() || line.front() == '#' || line.front() == ';') {
      continue;
    }
    if (line.front() == '[') {
      sections.push_back(line.substr(1, line.find(']') - 1));
      continue;
    }
    const auto equals = line.find('=');
    INFO(path << ":" << number << ": " << line);
    REQUIRE(equals != std::string::npos);
    REQUIRE_FALSE(sections.empty());
    entries.push_back({sections.back(), trimmed(line.substr(0, equals)), trimmed(line.substr(equals + 1)), number});
  }
  return entries;
}

// "section.key" to the default as etc/sfcrimed.ini must write it: sfcrimed's own settings
// from a default-constructed Config, then the librdkafka properties it has defaults for.
std::map<std::string, std::string> declared_defaults() {
  std::map<std::string, std::string> defaults;
  const Config config;
  for (const Setting& setting : sfcrimed::settings::table()) {
    defaults.emplace(setting.name, sfcrimed::settings::text(setting, config));
  }
  for (const auto* section : sfcrimed::settings::kafka_sections()) {
    for (const auto& [property, value] : section->documented) {
      defaults.emplace(std::string(section->name) + "." + property, value);
    }
  }
  return defaults;
}

}  // namespace

TEST_CASE("etc/sfcrimed.ini names every setting of the table with its default, and no other", "[config]") {
  std::vector<std::string> sections;
  const auto entries = ini_entries(SFCRIMED_SOURCE_DIR "/etc/sfcrimed.ini", sections);
  const auto defaults = declared_defaults();
  std::set<std::string> named;
  for (const auto& entry : entries) {
    const std::string name = entry.section + "." + entry.key;
    INFO("etc/sfcrimed.ini:" << entry.line << ": [" << entry.section << "] " << entry.key);
    CHECK(named.insert(name).second);  // once
    const auto declared = defaults.find(name);
    CHECK(declared != defaults.end());  // a setting sfcrimed has
    if (declared != defaults.end()) {
      CHECK(entry.value == declared->second);
    }
  }
  for (const auto& [name, value] : defaults) {
    INFO(name << " = " << value);
    CHECK(named.contains(name));
  }
  const auto& order = sfcrimed::settings::sections();
  CHECK(sections == std::vector<std::string>(order.begin(), order.end()));
}

TEST_CASE("the table: each setting once, in a section of the ini file, in --help", "[config]") {
  const auto& order = sfcrimed::settings::sections();
  const std::string help = parse({"--help"}).help;
  std::set<std::string_view> names;
  std::size_t section_index = 0;
  for (const Setting& setting : sfcrimed::settings::table()) {
    INFO(setting.name);
    CHECK(names.insert(setting.name).second);
    CHECK(setting.key().find('.') == std::string_view::npos);
    CHECK_FALSE(setting.help.empty());
    CHECK(sfcrimed::settings::kafka_section(setting.section()) == nullptr);
    // Grouped by section, the sections in the ini file's order.
    const auto at =
        std::find(order.begin() + static_cast<std::ptrdiff_t>(section_index), order.end(), setting.section());
    REQUIRE(at != order.end());
    section_index = static_cast<std::size_t>(at - order.begin());
    CHECK_THAT(help, Catch::Contains("  --" + std::string(setting.name) + " arg"));
  }
}

TEST_CASE("a default-constructed Config passes every check but the one needing a calls file", "[config]") {
  const Config defaults;
  for (const Setting& setting : sfcrimed::settings::table()) {
    INFO(setting.name);
    const std::string wrong = sfcrimed::settings::check(setting, defaults);
    if (setting.name == "ingest.file") {
      CHECK(wrong == "the ingest needs a file of calls (or set ingest.enabled = false)");
    } else {
      CHECK(wrong.empty());
    }
  }
}

TEST_CASE("the output of --print-config, read back as the ini file, is the same configuration", "[config]") {
  TempDir dir;
  const std::string calls = dir.write("calls.json", "[]");
  const std::string printed = sfcrimed::to_ini(parse({"--ingest.file",
                                                      calls,
                                                      "--kafka.partitions",
                                                      "7",
                                                      "--kafka.stall_timeout",
                                                      "90s",
                                                      "--ingest.order",
                                                      "file",
                                                      "--ingest.rate",
                                                      "2.5",
                                                      "--ingest.resume",
                                                      "false",
                                                      "--ingest.on_error",
                                                      "fail",
                                                      "--pipeline.window",
                                                      "15m",
                                                      "--pipeline.commit_interval",
                                                      "250ms",
                                                      "--pipeline.dlq_topic",
                                                      "dead",
                                                      "--metrics.listen",
                                                      "[::1]:9000",
                                                      "--log.level",
                                                      "debug",
                                                      "--producer.linger.ms=5",
                                                      "--consumer.fetch.min.bytes=10"})
                                                   .config);
  const std::string ini = dir.write("printed.ini", printed);
  const std::string reread = sfcrimed::to_ini(parse({"--config", ini}).config);
  CHECK(reread.substr(reread.find('\n')) == printed.substr(printed.find('\n')));
  CHECK_THAT(printed, Catch::Contains("\n[ingest]\nenabled = true\nfile = " + calls +
                                      "\norder = file\nrate = 2.5\nspeedup = 0\nloop = false\nresume = false\n"
                                      "on_error = fail\n\n[producer]\n"));
  CHECK_THAT(printed, Catch::Contains("\nwindow = 15m\nallowed_lateness = 1h\ncommit_interval = 250ms\n"));
  CHECK_THAT(printed, Catch::Contains("\n[metrics]\nlisten = [::1]:9000\ntls_certificate = \ntls_key = \nusers = \n"
                                      "open_healthz = false\n\n[log]\nlevel = debug\nfile = \n"));
}
