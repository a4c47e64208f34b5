#include "sfcrimed/call_parser.hpp"

#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <string_view>

#include "malformed_calls.hpp"

using sfcrimed::CallParser;
using sfcrimed::CallView;

namespace {

constexpr std::string_view kGood =
    R"({"crime_id":"183653763","original_crime_type_name":"Traffic Stop","call_date_time":"2018-12-31T23:57:00.000",)"
    R"("disposition":"ADM","address":"Geary Bl/divisadero St","city":"San Francisco"})";

}  // namespace

TEST_CASE("a well-formed call gives its fields and time", "[call_parser]") {
  CallParser parser;
  CallView call;
  std::string reason;
  REQUIRE(parser.parse(kGood, call, reason));
  CHECK(call.crime_id == "183653763");
  CHECK(call.crime_type == "Traffic Stop");
  CHECK(call.disposition == "ADM");
  CHECK(call.address == "Geary Bl/divisadero St");
  CHECK(call.time == 1546300620);
}

TEST_CASE("unknown fields, any order and escapes are fine", "[call_parser]") {
  CallParser parser;
  CallView call;
  std::string reason;
  REQUIRE(parser.parse(R"({"extra":[1,{"a":null}],"disposition":"Not recorded","call_date_time":"2018-10-02T09:11",)"
                       R"("original_crime_type_name":"415\/915 \u00e9","crime_id":"1"})",
                       call, reason));
  CHECK(call.crime_type == "415/915 \xc3\xa9");
  CHECK(call.disposition == "Not recorded");
  CHECK(call.address.empty());
}

TEST_CASE("whitespace around the call is fine", "[call_parser]") {
  CallParser parser;
  CallView call;
  std::string reason;
  CHECK(parser.parse(" \n" + std::string(kGood) + "\t\r\n ", call, reason));
  CHECK(reason.empty());
}

TEST_CASE("a field the call does not use must still be valid JSON", "[call_parser]") {
  const std::string call(kGood.substr(0, kGood.size() - 1));
  CallParser parser;
  CallView view;
  std::string reason;
  for (const std::string_view extra :
       {"tru", "nul", "falsey", "[1,,2]", "[1,2 3]", "[}", R"({"a" "b"})", R"({"a":1,})", R"("\q")", R"({"\q":1})",
        R"("\ud800")", "01", "-", "1.", "1e400", "123456789012345678901234567890"}) {
    INFO(extra);
    CHECK_FALSE(parser.parse(call + R"(,"extra":)" + std::string(extra) + "}", view, reason));
    CHECK_THAT(reason, Catch::StartsWith("not valid JSON"));
  }
  CHECK_FALSE(parser.parse(call.substr(0, call.find(R"("address")")) + R"("address":"Geary \q"})", view, reason));
  CHECK_THAT(reason, Catch::StartsWith("not valid JSON"));
  CHECK_FALSE(parser.parse(R"({"crime_id":"\q")" + call.substr(call.find(',')) + "}", view, reason));
  CHECK_THAT(reason, Catch::StartsWith("not valid JSON"));
  for (const std::string_view extra :
       {"null", "true", "-1.5e3", "[]", "{}", R"([1,[2,{"a":[true,false,null,-0.5e-3,"\u00e9"]}],{}])"}) {
    INFO(extra);
    CHECK(parser.parse(call + R"(,"extra":)" + std::string(extra) + "}", view, reason));
  }
  // An address that is not a string is an unknown field like any other.
  CHECK(parser.parse(call.substr(0, call.find(R"("address")")) + R"("address":[5]})", view, reason));
  CHECK(view.address.empty());
}

TEST_CASE("nesting is refused where simdjson's limit is reached", "[call_parser]") {
  const std::string call(kGood.substr(0, kGood.size() - 1));
  // The call's object is one level, so 1022 arrays in a field make 1023 levels.
  const auto nested = [&call](std::size_t arrays) {
    return call + R"(,"extra":)" + std::string(arrays, '[') + std::string(arrays, ']') + "}";
  };
  CallParser parser;
  CallView view;
  std::string reason;
  CHECK(parser.parse(nested(1022), view, reason));
  CHECK_FALSE(parser.parse(nested(1023), view, reason));
  CHECK_THAT(reason, Catch::Contains("too deep"));
}

TEST_CASE("every kind of malformed message is refused with its reason", "[call_parser]") {
  CallParser parser;
  std::set<std::string_view> kinds;
  for (const auto& malformed : sfcrimed::test::malformed_calls()) {
    INFO(malformed.kind);
    CHECK(kinds.insert(malformed.kind).second);
    CHECK(malformed.kind.find_first_of(" \t\n") == std::string_view::npos);
    // produce_malformed sends each kind as one message, within librdkafka's default
    // message.max.bytes.
    CHECK(malformed.bytes.size() < 1'000'000);
    CallView call;
    std::string reason;
    CHECK_FALSE(parser.parse(malformed.bytes, call, reason));
    CHECK_THAT(reason, Catch::Contains(std::string(malformed.reason)));
  }
  // A refused message leaves the parser ready for the next one.
  CallView call;
  std::string reason;
  CHECK(parser.parse(sfcrimed::test::call_json(), call, reason));
}
