// A deliberately simple, brute-force implementation of tracing.md §1–§6 and of the acceptance
// rules of events.md, written straight from the text and sharing no code with the engine. The
// integration tests hold the service to its answers; reference_model_test first holds it to the
// worked examples.
//
// Not thread-safe. Queries recompute everything derived after each Ingest (straight loops over
// visit pairs; fine for the few thousand events of a test town).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tests/support/reference_decoder.h"
#include "tests/support/rfc3339.h"

namespace ctrace::test_support {

struct RefRejection {
  int line = 0;        // 1-based within the batch
  std::string id;      // empty when it could not be read
  std::string reason;  // events.md reason code
};

// What POST /v1/events answers for one batch.
struct RefIngestOutcome {
  int accepted = 0;
  int duplicates = 0;
  std::vector<RefRejection> rejected;  // in line order
};

struct RefWindow {
  Millis start = 0;
  Millis end = 0;
};

struct RefVisit {
  std::string person;
  std::string venue;
  Millis start = 0;
  Millis end = 0;
  bool checked_out = false;  // ended by a matching check-out
};

struct RefCase {
  std::string person;
  Millis sampled_at = 0;              // of the index test
  std::optional<Millis> resulted_at;  // of the index test
  std::optional<Millis> onset;        // the declared onset that counted, if any
  RefWindow window;                   // W0
  std::vector<std::string> linked_from;  // sorted
};

struct RefExposure {
  int level = 0;                     // 0 for a case (or a chain's root)
  std::optional<Millis> exposed_at;  // nullopt at level 0
  std::vector<std::string> via;      // sorted; empty at level 0
};

struct RefCluster {
  std::string id;                  // the smallest case id in it
  std::vector<std::string> cases;  // sorted
};

struct RefChainNode {
  std::string person;
  int level = 0;
  std::optional<Millis> exposed_at;  // nullopt for the root
  bool is_case = false;
};

class ReferenceModel {
 public:
  ReferenceModel(ReferenceParams params, Millis now);

  // Judges one batch of NDJSON lines in order (line numbers 1-based within the batch). An
  // accepted event whose id was accepted before (in this batch or an earlier one) is a
  // duplicate and changes nothing.
  RefIngestOutcome Ingest(const std::vector<std::string>& lines);

  const ReferenceParams& params() const { return params_; }
  Millis now() const { return now_; }

  // The live events (accepted, not duplicates, event time >= now - retention).
  std::vector<RefEvent> LiveEvents() const;
  // Every person and venue that occurs in a live event, sorted.
  std::set<std::string> Persons() const;
  std::set<std::string> Venues() const;

  // §1: all visits, ordered by (person, start).
  const std::vector<RefVisit>& Visits();
  // One person's visits ordered by start.
  std::vector<RefVisit> PersonVisits(const std::string& person);
  // Visits at `venue` overlapping [from, to), ordered by (start, person).
  std::vector<RefVisit> VenueVisits(const std::string& venue, Millis from, Millis to);

  // §2 and §5: the cases ordered by person, with windows and links.
  const std::vector<RefCase>& Cases();
  const RefCase* FindCase(const std::string& person);

  // §4: person -> level for every person with a level (cases at 0).
  const std::map<std::string, RefExposure>& Levels();
  // The people at level k (1..max_depth), ordered by person.
  std::vector<std::pair<std::string, RefExposure>> AtLevel(int k);

  // §5: clusters ordered by id.
  const std::vector<RefCluster>& Clusters();

  // §6: chain(person, depth), nodes ordered by person id (examples/02); nullopt when the
  // person is not a case.
  std::optional<std::vector<RefChainNode>> Chain(const std::string& person, int depth);

 private:
  void Derive();
  void DeriveVisits();
  void DeriveCases();
  // The breadth-first assignment of §4 from `seeds` (level 0 with their windows).
  std::map<std::string, RefExposure> Assign(const std::map<std::string, RefWindow>& seeds,
                                            int depth) const;
  // True when p has a contact with q inside w (§3); the earliest contact time in *time.
  bool EarliestContact(const std::string& p, const std::string& q, const RefWindow& w,
                       Millis* time) const;

  ReferenceParams params_;
  Millis now_;
  std::vector<RefEvent> accepted_;  // in acceptance order, duplicates excluded
  std::set<std::string> accepted_ids_;

  bool dirty_ = true;
  std::vector<RefVisit> visits_;
  std::map<std::string, std::vector<size_t>> visits_by_person_;  // indexes into visits_
  std::map<std::string, std::vector<size_t>> visits_by_venue_;
  std::vector<RefCase> cases_;
  std::map<std::string, RefExposure> levels_;
  std::vector<RefCluster> clusters_;
};

}  // namespace ctrace::test_support
