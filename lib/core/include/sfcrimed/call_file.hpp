#pragma once
// Reads a calls file whole into one padded buffer, checks every record, and lists the
// calls in replay order without copying them: each call is a view into the buffer.
//
// Formats: a JSON array of objects (the published file: pretty-printed, newest first) or
// JSON lines (one object per line); either may be gzip- or bzip2-compressed (recognised
// by content, not by name). Parsing is simdjson On-Demand over the padded buffer.

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sfcrimed/record.hpp"

namespace sfcrimed {

enum class ReplayOrder {
  event_time,  // by call_date_time, ascending; file order among equal times
  file,        // as the records stand in the file
};

enum class OnBadRecord {
  skip,  // leave the record out, count it and say why
  fail,  // refuse the whole file
};

// A file that cannot be read as calls at all: missing, unreadable, not JSON, truncated,
// or (with OnBadRecord::fail) holding a bad record. The message names the file and,
// for a record, its index (0-based position in the file).
class CallFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One call of a file, pointing into the file's buffer.
struct Call {
  std::string_view json;  // the record's JSON text as in the file (possibly pretty-printed)
  std::string crime_id;   // unescaped: the message key
  WallSeconds time = 0;   // call_date_time
  std::size_t index = 0;  // position in the file
};

struct BadRecord {
  std::size_t index = 0;
  std::string reason;
};

class CallFile {
 public:
  // Reads and checks `path`; throws CallFileError.
  static CallFile load(const std::string& path, ReplayOrder order, OnBadRecord on_bad);

  CallFile(CallFile&&) noexcept = default;
  CallFile& operator=(CallFile&&) noexcept = default;
  CallFile(const CallFile&) = delete;
  CallFile& operator=(const CallFile&) = delete;
  ~CallFile();

  [[nodiscard]] const std::vector<Call>& calls() const { return calls_; }
  [[nodiscard]] const std::vector<BadRecord>& bad_records() const { return bad_; }
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::size_t json_bytes() const { return size_; }  // after decompression

 private:
  CallFile() = default;
  struct FreeBuffer {
    std::size_t capacity;  // value-initialised to 0 with an empty buffer
    void operator()(char* buffer) const noexcept;
  };
  std::string path_;
  std::unique_ptr<char, FreeBuffer> buffer_;
  std::size_t size_ = 0;
  std::vector<Call> calls_;
  std::vector<BadRecord> bad_;
};

// The record's JSON text without insignificant whitespace, written over `out`: the value
// sfcrimed sends to Kafka. `out` is resized as needed and reused between calls.
void compact_json(std::string_view json, std::string& out);

}  // namespace sfcrimed
