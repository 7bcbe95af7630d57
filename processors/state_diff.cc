#include "processors/state_diff.h"

namespace ctrace {

namespace {

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out.push_back(',');
    out.append(item);
  }
  return out;
}

std::optional<std::string> OptionalTime(const std::optional<TimeMs>& t) {
  if (!t) return std::string("null");
  return FormatUtc(*t);
}

std::string FormatWindow(const Window& window) {
  return "[" + FormatUtc(window.start) + ", " + FormatUtc(window.end) + ")";
}

std::string FormatCase(const CaseInfo& info) {
  return "sampled_at=" + FormatUtc(info.sampled_at) + " window=" + FormatWindow(info.window);
}

// Walks two ordered maps side by side: `only_left`, `only_right` and `both` get each key once.
template <typename Map, typename OnlyLeft, typename OnlyRight, typename Both>
void MergeWalk(const Map& left, const Map& right, OnlyLeft only_left, OnlyRight only_right, Both both) {
  auto l = left.begin();
  auto r = right.begin();
  while (l != left.end() || r != right.end()) {
    if (r == right.end() || (l != left.end() && l->first < r->first)) {
      only_left(*l++);
    } else if (l == left.end() || r->first < l->first) {
      only_right(*r++);
    } else {
      both(*l++, *r++);
    }
  }
}

void DiffExposures(const DerivedState& expected, const DerivedState& found, std::vector<StateDifference>* out) {
  using Entry = std::pair<const std::string, ExposureRecord>;
  MergeWalk(
      expected.exposures, found.exposures,
      [&](const Entry& e) { out->push_back({"level", e.first, std::to_string(e.second.level), std::nullopt}); },
      [&](const Entry& f) { out->push_back({"level", f.first, std::nullopt, std::to_string(f.second.level)}); },
      [&](const Entry& e, const Entry& f) {
        if (e.second.level != f.second.level) {
          out->push_back({"level", e.first, std::to_string(e.second.level), std::to_string(f.second.level)});
          return;
        }
        if (e.second.exposed_at != f.second.exposed_at) {
          out->push_back({"exposed_at", e.first, FormatUtc(e.second.exposed_at), FormatUtc(f.second.exposed_at)});
        }
        if (e.second.via != f.second.via) out->push_back({"via", e.first, Join(e.second.via), Join(f.second.via)});
      });
}

void DiffCases(const DerivedState& expected, const DerivedState& found, std::vector<StateDifference>* out) {
  using Entry = std::pair<const std::string, CaseInfo>;
  const bool details = expected.case_details && found.case_details;
  MergeWalk(
      expected.cases, found.cases,
      [&](const Entry& e) { out->push_back({"case", e.first, FormatCase(e.second), std::nullopt}); },
      [&](const Entry& f) { out->push_back({"case", f.first, std::nullopt, FormatCase(f.second)}); },
      [&](const Entry& e, const Entry& f) {
        if (e.second.sampled_at != f.second.sampled_at) {
          out->push_back({"case.sampled_at", e.first, FormatUtc(e.second.sampled_at), FormatUtc(f.second.sampled_at)});
        }
        if (details && e.second.resulted_at != f.second.resulted_at) {
          out->push_back({"case.resulted_at", e.first, OptionalTime(e.second.resulted_at),
                          OptionalTime(f.second.resulted_at)});
        }
        if (details && e.second.onset != f.second.onset) {
          out->push_back({"case.onset", e.first, OptionalTime(e.second.onset), OptionalTime(f.second.onset)});
        }
        if (e.second.window != f.second.window) {
          out->push_back({"case.window", e.first, FormatWindow(e.second.window), FormatWindow(f.second.window)});
        }
      });
}

void DiffLinks(const DerivedState& expected, const DerivedState& found, std::vector<StateDifference>* out) {
  auto key = [](const std::pair<std::string, std::string>& link) { return link.first + "->" + link.second; };
  auto e = expected.links.begin();
  auto f = found.links.begin();
  while (e != expected.links.end() || f != found.links.end()) {
    if (f == found.links.end() || (e != expected.links.end() && *e < *f)) {
      out->push_back({"link", key(*e++), "linked", std::nullopt});
    } else if (e == expected.links.end() || *f < *e) {
      out->push_back({"link", key(*f++), std::nullopt, "linked"});
    } else {
      ++e;
      ++f;
    }
  }
}

void DiffClusters(const DerivedState& expected, const DerivedState& found, std::vector<StateDifference>* out) {
  using Entry = std::pair<const std::string, std::vector<std::string>>;
  MergeWalk(
      expected.clusters, found.clusters,
      [&](const Entry& e) { out->push_back({"cluster", e.first, Join(e.second), std::nullopt}); },
      [&](const Entry& f) { out->push_back({"cluster", f.first, std::nullopt, Join(f.second)}); },
      [&](const Entry& e, const Entry& f) {
        if (e.second != f.second) out->push_back({"cluster", e.first, Join(e.second), Join(f.second)});
      });
}

}  // namespace

DerivedState ReadDerivedState(StateView& view, int max_depth) {
  DerivedState state;
  for (int level = 1; level <= max_depth; ++level) {
    view.ForEachLevel(level, "", [&](const std::string& person, TimeMs exposed_at, const std::vector<std::string>& via) {
      // A person is on one call list; should a broken store list one twice, the lower level
      // is kept, so the difference still shows.
      state.exposures.emplace(person, ExposureRecord{level, exposed_at, via});
      return true;
    });
  }
  view.ForEachCase("", [&](const std::string& person, const CaseInfo& info) {
    state.cases.emplace(person, info);
    return true;
  });
  view.ForEachLink([&](const std::string& from, const std::string& to, const std::vector<std::string>&) {
    state.links.emplace(from, to);
    return true;
  });
  view.ForEachCluster([&](const std::string& id, const std::vector<std::string>& cases) {
    state.clusters.emplace(id, cases);
    return true;
  });
  return state;
}

std::vector<StateDifference> DiffDerivedStates(const DerivedState& expected, const DerivedState& found) {
  std::vector<StateDifference> out;
  DiffExposures(expected, found, &out);
  DiffCases(expected, found, &out);
  DiffLinks(expected, found, &out);
  DiffClusters(expected, found, &out);
  return out;
}

std::vector<StateDifference> DiffStates(StateView& expected, StateView& found, int max_depth) {
  return DiffDerivedStates(ReadDerivedState(expected, max_depth), ReadDerivedState(found, max_depth));
}

}  // namespace ctrace
