#pragma once
// The live page's files (daemon/live_page/ and the uPlot library from npm), compiled into
// sfcrimed at build time by cmake/embed_files.cmake: served from memory, so the page needs
// no internet and the binary no files beside it.

#include <string_view>
#include <vector>

namespace sfcrimed::daemon {

struct LivePageFile {
  std::string_view path;          // "/", "/live.js", ...
  std::string_view content_type;  // "text/javascript; charset=utf-8", ...
  std::string_view body;
};

const std::vector<LivePageFile>& live_page_files();

}  // namespace sfcrimed::daemon
