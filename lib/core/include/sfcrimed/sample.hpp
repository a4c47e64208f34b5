#pragma once
// A deterministic, realistic sample of calls for demos and tests that must run anywhere:
// the published file's schema and shape (a pretty-printed JSON array, newest call first,
// a few calls present twice as identical records), with crime types, dispositions,
// addresses and times drawn from distributions like the real calls'. It holds no real
// record; the same options always give the same bytes.

#include <cstddef>
#include <cstdint>
#include <string>

namespace sfcrimed {

struct SampleOptions {
  std::size_t records = 1000;  // in all, duplicates included
  std::uint64_t seed = 1;
};

// How many of `records` are second copies of another record: one per 50,000 (the
// published file has 4 in 199,999), at least one from 100 records up.
std::size_t sample_duplicates(std::size_t records);

// The sample as a JSON array (pretty-printed like the published file) or as JSON lines.
std::string make_sample(const SampleOptions& options, bool json_lines);

// Writes the sample to `path`: JSON lines when the name ends in .jsonl or .ndjson (before
// any .gz or .bz2), else a JSON array; gzip- or bzip2-compressed for .gz or .bz2.
// Throws std::runtime_error naming the file when it cannot be written.
void write_sample(const std::string& path, const SampleOptions& options);

}  // namespace sfcrimed
