#pragma once
// The kinds of malformed message that a consumer of the calls topic must refuse, in one
// list: the parser's unit tests run every kind through CallParser, and the
// produce_malformed tool puts them into a real topic for the integration tests.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sfcrimed::test {

struct MalformedCall {
  std::string_view kind;    // a short name without spaces: produce_malformed puts it in the key
  std::string bytes;        // the message value
  std::string_view reason;  // text that CallParser's reason contains
};

// A well-formed call in compact JSON, as the ingest sends it; `field`'s value is replaced
// by the JSON text `value` (the field is left out when `value` is empty), and `more`
// (members such as "\"a\":1") is added at the end.
inline std::string call_json(std::string_view field = {}, std::string_view value = {}, std::string_view more = {}) {
  constexpr std::string_view kFields[][2] = {
      {"crime_id", R"("183653763")"},
      {"original_crime_type_name", R"("Traffic Stop")"},
      {"call_date_time", R"("2018-12-31T23:57:00.000")"},
      {"disposition", R"("ADM")"},
      {"address", R"("Geary Bl/divisadero St")"},
  };
  std::string json = "{";
  const auto add = [&json](std::string_view name, std::string_view text) {
    json += json.size() > 1 ? ",\"" : "\"";
    json += name;
    json += "\":";
    json += text;
  };
  for (const auto& [name, text] : kFields) {
    if (name != field) {
      add(name, text);
    } else if (!value.empty()) {
      add(name, value);
    }
  }
  if (!more.empty()) {
    json += json.size() > 1 ? "," : "";
    json += more;
  }
  return json + "}";
}

inline std::vector<MalformedCall> malformed_calls() {
  const std::string call = call_json();
  // Larger than any call and close to the broker's default limit of 1 MiB per message.
  const std::string narrative(900'000, 'x');
  // Far deeper than simdjson's limit of 1024 levels.
  constexpr std::size_t kLevels = 5000;
  const std::string nested = std::string(kLevels, '[') + std::string(kLevels, ']');
  return {
      {"truncated", call.substr(0, call.size() / 2), "not valid JSON"},
      {"array", "[" + call + "]", "not a JSON object"},
      {"number", "183653763", "not a JSON object"},
      {"string", R"("183653763")", "not a JSON object"},
      {"null", "null", "not a JSON object"},
      {"empty", "", "the value is empty"},
      {"missing-crime-id", call_json("crime_id"), "crime_id is missing"},
      {"empty-crime-id", call_json("crime_id", R"("")"), "crime_id is empty"},
      {"numeric-crime-id", call_json("crime_id", "183653763"), "crime_id is not a string"},
      {"missing-crime-type", call_json("original_crime_type_name"), "original_crime_type_name is missing"},
      {"missing-call-date-time", call_json("call_date_time"), "call_date_time is missing"},
      {"non-string-disposition", call_json("disposition", R"(["ADM"])"), "disposition is not a string"},
      {"impossible-date", call_json("call_date_time", R"("2018-02-30T10:00")"),
       R"(call_date_time "2018-02-30T10:00" is not a date-time)"},
      {"non-date-text", call_json("call_date_time", R"("yesterday")"),
       R"(call_date_time "yesterday" is not a date-time)"},
      {"invalid-utf8", call_json("address", "\"Geary \xff\xfe St\""), "not valid UTF-8"},
      {"900kb-without-crime-id", call_json("crime_id", {}, R"("narrative":")" + narrative + "\""),
       "crime_id is missing"},
      {"invalid-json-in-extra-field", call_json({}, {}, R"("city":[1,,2])"), "not valid JSON"},
      {"deep-nesting", call_json({}, {}, R"("extra":)" + nested), "too deep"},
      {"duplicate-key", call_json({}, {}, R"("crime_id":"183653764")"), "duplicate key crime_id"},
      {"two-documents", call + call, "not valid JSON: more text after the object"},
      {"number-after-call", call + " 42", "not valid JSON"},
      {"unterminated-member", call.substr(0, call.size() - 1) + R"(,"city":)", "not valid JSON"},
  };
}

}  // namespace sfcrimed::test
