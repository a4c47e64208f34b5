#pragma once
// A scratch directory per test, removed afterwards, and helpers to write files into it.

#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace sfcrimed::test {

class TempDir {
 public:
  TempDir() {
    std::random_device random;
    path_ = std::filesystem::temp_directory_path() / ("sfcrimed-test-" + std::to_string(random()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }

  // Writes `text` to `name` (gzip-compressed when the name ends in .gz) and returns its path.
  [[nodiscard]] std::string write(const std::string& name, const std::string& text) const {
    std::string path = file(name);
    if (name.size() > 3 && name.substr(name.size() - 3) == ".gz") {
      gzFile gz = gzopen(path.c_str(), "wb");
      gzwrite(gz, text.data(), static_cast<unsigned>(text.size()));
      gzclose(gz);
    } else {
      std::ofstream(path, std::ios::binary) << text;
    }
    return path;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace sfcrimed::test
