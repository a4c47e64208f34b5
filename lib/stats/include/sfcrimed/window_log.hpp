#pragma once
// The log's line for a window the windows stage has made final (window_merge.hpp), from
// its merged counts: every partition of the calls topic has closed it.
//
//   window 2018-10-02T09:00:00 to 10:00:00 closed: 95 calls; crime types: Traffic Stop 12,
//   Passing Call 9, ... (41 in all); dispositions: HAN 40 Handled, Not recorded 12, ...

#include <cstddef>
#include <span>
#include <string>

#include "sfcrimed/stats_topic.hpp"

namespace sfcrimed {

// `counts`: one window's merged counts (one entry per crime type and disposition); `top`:
// names listed per metric, largest first.
std::string window_line(std::span<const StatsEntry> counts, std::size_t top = 5);

}  // namespace sfcrimed
