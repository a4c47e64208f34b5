#include "sfcrimed/call_file.hpp"

#include <bzlib.h>
#include <simdjson.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <system_error>
#include <utility>

#include <sys/mman.h>

namespace sfcrimed {
namespace {

namespace od = simdjson::ondemand;

// The file's bytes, with simdjson's padding after them, in memory of its own (mmap):
// growing it with mremap moves no bytes and leaves no freed copies behind in the heap,
// so reading the 112 MB published file costs its size once, not 1.5 or 2 times.
struct ByteBuffer {
  char* data = nullptr;
  std::size_t size = 0;
  std::size_t capacity = 0;  // usable bytes, padding excluded

  ByteBuffer() = default;
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;
  ~ByteBuffer() { release_memory(data, capacity); }

  static void release_memory(char* memory, std::size_t usable) {
    if (memory != nullptr) {
      ::munmap(memory, usable + simdjson::SIMDJSON_PADDING);
    }
  }
  void reserve(std::size_t wanted) {
    if (wanted <= capacity) {
      return;
    }
    void* grown = data == nullptr ? ::mmap(nullptr, wanted + simdjson::SIMDJSON_PADDING, PROT_READ | PROT_WRITE,
                                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                                  : ::mremap(data, capacity + simdjson::SIMDJSON_PADDING,
                                             wanted + simdjson::SIMDJSON_PADDING, MREMAP_MAYMOVE);
    if (grown == MAP_FAILED) {
      throw std::bad_alloc();
    }
    data = static_cast<char*>(grown);
    capacity = wanted;
  }
  // Room for at least `more` bytes after the contents, growing geometrically.
  char* room(std::size_t more) {
    if (size + more > capacity) {
      reserve(std::max(size + more, capacity * 2));
    }
    return data + size;
  }
};

constexpr std::size_t kReadChunk = 1 << 20;

[[noreturn]] void fail(const std::string& path, const std::string& what) { throw CallFileError(path + ": " + what); }

struct FileCloser {
  void operator()(std::FILE* file) const noexcept { std::fclose(file); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

void read_plain(std::FILE* file, ByteBuffer& out) {
  for (;;) {
    const std::size_t got = std::fread(out.room(kReadChunk), 1, kReadChunk, file);
    out.size += got;
    if (got < kReadChunk) {
      return;
    }
  }
}

void read_gzip(const std::string& path, ByteBuffer& out) {
  gzFile gz = gzopen(path.c_str(), "rb");
  if (gz == nullptr) {
    fail(path, std::string("cannot open: ") + std::generic_category().message(errno));
  }
  gzbuffer(gz, 1 << 17);
  for (;;) {
    const int got = gzread(gz, out.room(kReadChunk), kReadChunk);
    if (got < 0) {
      int code = 0;
      const std::string message = gzerror(gz, &code);
      gzclose(gz);
      fail(path, "gzip data is corrupt: " + message);
    }
    out.size += static_cast<std::size_t>(got);
    if (got == 0) {
      break;
    }
  }
  // zlib reports a stream cut short only through gzerror, after the last read.
  int code = 0;
  const std::string message = gzerror(gz, &code);
  gzclose(gz);
  if (code != Z_OK && code != Z_STREAM_END) {
    fail(path, "gzip data is truncated or corrupt: " + message);
  }
}

// bzip2 files may hold several streams one after another (pbzip2 writes them so).
void read_bzip2(const std::string& path, std::FILE* file, ByteBuffer& out) {
  std::vector<char> unused;
  for (;;) {
    int error = BZ_OK;
    BZFILE* bz = BZ2_bzReadOpen(&error, file, 0, 0, unused.data(), static_cast<int>(unused.size()));
    if (error != BZ_OK) {
      fail(path, "cannot read bzip2 data (libbz2 error " + std::to_string(error) + ")");
    }
    while (error == BZ_OK) {
      const int got = BZ2_bzRead(&error, bz, out.room(kReadChunk), kReadChunk);
      if (error == BZ_OK || error == BZ_STREAM_END) {
        out.size += static_cast<std::size_t>(got);
      }
    }
    if (error != BZ_STREAM_END) {
      BZ2_bzReadClose(&error, bz);
      fail(path, error == BZ_UNEXPECTED_EOF ? "bzip2 data is truncated" : "bzip2 data is corrupt or truncated");
    }
    void* rest = nullptr;
    int rest_size = 0;
    BZ2_bzReadGetUnused(&error, bz, &rest, &rest_size);
    unused.assign(static_cast<char*>(rest), static_cast<char*>(rest) + rest_size);
    BZ2_bzReadClose(&error, bz);
    if (unused.empty()) {
      const int next = std::fgetc(file);
      if (next == EOF) {
        return;
      }
      unused.push_back(static_cast<char>(next));
    }
  }
}

void read_file(const std::string& path, ByteBuffer& out) {
  File file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    fail(path, std::string("cannot open: ") + std::generic_category().message(errno));
  }
  unsigned char magic[3] = {0, 0, 0};
  const std::size_t got = std::fread(magic, 1, sizeof magic, file.get());
  std::rewind(file.get());
  if (got >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
    read_gzip(path, out);
  } else if (got == 3 && magic[0] == 'B' && magic[1] == 'Z' && magic[2] == 'h') {
    read_bzip2(path, file.get(), out);
  } else {
    read_plain(file.get(), out);
  }
  if (std::ferror(file.get()) != 0) {
    fail(path, std::string("read error: ") + std::generic_category().message(errno));
  }
}

const char* type_name(od::json_type type) {
  switch (type) {
    case od::json_type::array:
      return "an array";
    case od::json_type::object:
      return "an object";
    case od::json_type::number:
      return "a number";
    case od::json_type::string:
      return "a string";
    case od::json_type::boolean:
      return "a boolean";
    case od::json_type::null:
      return "null";
  }
  return "not JSON";
}

// Reads the string field `name` of `object` into `value`; an empty return means it is
// there, anything else says what is wrong.
std::string string_field(od::object& object, std::string_view name, std::string_view& value) {
  switch (object.find_field_unordered(name).get_string().get(value)) {
    case simdjson::SUCCESS:
      return {};
    case simdjson::NO_SUCH_FIELD:
      return "has no " + std::string(name);
    case simdjson::INCORRECT_TYPE:
      return "has a " + std::string(name) + " that is not a string";
    default:
      return "is not valid JSON";
  }
}

// Fills `call` from one record; an empty return means the record is good, anything else
// says what is wrong with it.
std::string read_call(od::value value, Call& call) {
  od::object object;
  if (value.get_object().get(object) != simdjson::SUCCESS) {
    od::json_type type{};
    return std::string("is ") + (value.type().get(type) == simdjson::SUCCESS ? type_name(type) : "not JSON") +
           ", not an object";
  }
  // Only two fields matter here; find_field_unordered jumps over the others' values.
  std::string_view id;
  if (std::string reason = string_field(object, kCallIdField, id); !reason.empty()) {
    return reason;
  }
  if (id.empty()) {
    return "has an empty crime_id";
  }
  call.crime_id = id;
  std::string_view text;
  if (std::string reason = string_field(object, kCallTimeField, text); !reason.empty()) {
    return reason;
  }
  const auto time = parse_wall_time(text);
  if (!time) {
    return "has call_date_time \"" + std::string(text) + "\", not a date-time (YYYY-MM-DDTHH:MM[:SS[.fff]])";
  }
  call.time = *time;
  if (object.raw_json().get(call.json) != simdjson::SUCCESS) {
    return "is not valid JSON";
  }
  return {};
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    return {};
  }
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

// The file's JSON text: without a UTF-8 byte order mark and surrounding whitespace,
// never empty.
std::string_view json_text(const std::string& path, std::string_view contents) {
  if (contents.substr(0, 3) == "\xEF\xBB\xBF") {  // a UTF-8 byte order mark
    contents.remove_prefix(3);
  }
  contents = trim(contents);
  if (contents.empty()) {
    fail(path, "the file is empty; expected a JSON array of calls or JSON lines");
  }
  return contents;
}

// The loaded file's buffer: any part of it can be parsed in place, since the bytes after
// the part (the rest of the contents, then the zeroed padding) are there to be read past.
struct PaddedBuffer {
  const char* begin = nullptr;
  std::size_t capacity = 0;  // usable bytes, padding excluded

  [[nodiscard]] simdjson::padded_string_view padded(std::string_view part) const {
    const auto offset = static_cast<std::size_t>(part.data() - begin);
    return simdjson::padded_string_view(part.data(), part.size(), capacity - offset);
  }
};

// Where the records read go: good calls to `calls`, bad ones to `bad` or, with
// OnBadRecord::fail, into a CallFileError.
struct RecordSink {
  const std::string& path;
  OnBadRecord on_bad;
  std::vector<Call>& calls;
  std::vector<BadRecord>& bad;

  // `reason` empty: `call` is good.
  void take(Call&& call, const std::string& reason) {
    if (reason.empty()) {
      calls.push_back(std::move(call));
      return;
    }
    if (on_bad == OnBadRecord::fail) {
      fail(path, "record " + std::to_string(call.index) + " " + reason +
                     " (nothing was sent; ingest.on_error = skip leaves such records out)");
    }
    bad.push_back({call.index, reason});
  }
};

// `text` is one JSON array of calls.
void read_array(od::parser& parser, const PaddedBuffer& buffer, std::string_view text, RecordSink& sink) {
  if (text.back() != ']') {
    fail(sink.path, "the JSON array does not end with ']': the file is truncated or is not one JSON array");
  }
  od::document document;
  od::array array;
  simdjson::error_code error = parser.iterate(buffer.padded(text)).get(document);
  if (error == simdjson::SUCCESS) {
    error = document.get_array().get(array);
  }
  if (error != simdjson::SUCCESS) {
    fail(sink.path, std::string("not valid JSON: ") + simdjson::error_message(error));
  }
  std::size_t index = 0;
  for (auto element : array) {
    if (element.error() != simdjson::SUCCESS) {
      fail(sink.path,
           "not valid JSON at record " + std::to_string(index) + ": " + simdjson::error_message(element.error()));
    }
    od::value value = element.value_unsafe();
    Call call;
    call.index = index;
    std::string reason = read_call(value, call);
    sink.take(std::move(call), reason);
    ++index;
  }
}

// Fills `call` from one JSON line (not empty); an empty return means the record is good,
// anything else says what is wrong with it.
std::string read_line(od::parser& parser, const PaddedBuffer& buffer, std::string_view line, Call& call) {
  od::document document;
  od::value value;
  simdjson::error_code error = parser.iterate(buffer.padded(line)).get(document);
  if (error == simdjson::SUCCESS) {
    error = document.get_value().get(value);
  }
  if (error != simdjson::SUCCESS) {
    return std::string("is not valid JSON: ") + simdjson::error_message(error);
  }
  return read_call(value, call);
}

// `text` is JSON lines: each line is parsed in place; the bytes after it (the next lines,
// then the buffer's padding) are the padding simdjson reads past the end. Blank lines
// are no records.
void read_json_lines(od::parser& parser, const PaddedBuffer& buffer, std::string_view text, RecordSink& sink) {
  std::size_t index = 0;
  auto start = static_cast<std::size_t>(text.data() - buffer.begin);
  const std::size_t end = start + text.size();
  const std::string_view contents(buffer.begin, end);
  while (start < end) {
    std::size_t stop = contents.find('\n', start);
    if (stop == std::string_view::npos) {
      stop = end;
    }
    const std::string_view line = trim(contents.substr(start, stop - start));
    if (!line.empty()) {
      Call call;
      call.index = index;
      std::string reason = read_line(parser, buffer, line, call);
      sink.take(std::move(call), reason);
      ++index;
    }
    start = stop + 1;
  }
}

}  // namespace

void CallFile::FreeBuffer::operator()(char* buffer) const noexcept { ByteBuffer::release_memory(buffer, capacity); }

CallFile::~CallFile() = default;

CallFile CallFile::load(const std::string& path, ReplayOrder order, OnBadRecord on_bad) {
  ByteBuffer bytes;
  read_file(path, bytes);
  CallFile file;
  file.path_ = path;
  file.size_ = bytes.size;
  const PaddedBuffer buffer{bytes.data, bytes.capacity};
  // Anonymous memory reads as zeros, so the padding after the contents is zeros too.
  file.buffer_ = std::unique_ptr<char, FreeBuffer>(std::exchange(bytes.data, nullptr), FreeBuffer{buffer.capacity});

  const std::string_view text = json_text(path, std::string_view(buffer.begin, file.size_));
  RecordSink sink{path, on_bad, file.calls_, file.bad_};
  od::parser parser;
  if (text.front() == '[') {
    read_array(parser, buffer, text, sink);
  } else if (text.front() == '{') {
    read_json_lines(parser, buffer, text, sink);
  } else {
    fail(path, std::string("not JSON: expected a JSON array of calls ('[') or JSON lines ('{'), found '") +
                   text.front() + "'");
  }

  if (order == ReplayOrder::event_time) {
    std::stable_sort(file.calls_.begin(), file.calls_.end(),
                     [](const Call& a, const Call& b) { return a.time < b.time; });
  }
  return file;
}

void compact_json(std::string_view json, std::string& out) {
  out.resize(json.size());
  std::size_t length = 0;
  if (simdjson::minify(json.data(), json.size(), out.data(), length) != simdjson::SUCCESS) {
    out.assign(json);  // minify only fails on input the reader has already refused
    return;
  }
  out.resize(length);
}

}  // namespace sfcrimed
