#include "app/sim_event_writer.h"

#include <array>
#include <ostream>

#include "app/venue_kinds.h"

namespace ctrace {
namespace {

constexpr std::array<std::string_view, kSimSymptomCount> kSymptoms = {
    "fever", "cough", "sore_throat", "fatigue", "loss_of_smell", "headache"};

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

}  // namespace

std::string_view SimSymptom(int bit) { return kSymptoms[static_cast<size_t>(bit)]; }

void AppendZeroPadded(std::string* out, int64_t value, int width) {
  char buf[24];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0);
  for (int i = n; i < width; ++i) out->push_back('0');
  while (n > 0) out->push_back(buf[--n]);
}

void AppendTownTime(std::string* out, TimeMs t, bool local) {
  if (local) t += kTownLocalOffset;
  const int64_t days = FloorDiv(t, kDay);
  int64_t ms_of_day = t - days * kDay;
  // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
  const int64_t z = days + 719468;
  const int64_t era = FloorDiv(z, 146097);
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);

  AppendZeroPadded(out, year, 4);
  out->push_back('-');
  AppendZeroPadded(out, month, 2);
  out->push_back('-');
  AppendZeroPadded(out, day, 2);
  out->push_back('T');
  AppendZeroPadded(out, ms_of_day / kHour, 2);
  ms_of_day %= kHour;
  out->push_back(':');
  AppendZeroPadded(out, ms_of_day / kMinute, 2);
  ms_of_day %= kMinute;
  out->push_back(':');
  AppendZeroPadded(out, ms_of_day / kSecond, 2);
  ms_of_day %= kSecond;
  if (ms_of_day != 0) {
    out->push_back('.');
    AppendZeroPadded(out, ms_of_day, 3);
  }
  out->append(local ? "+07:00" : "Z");
}

SimEventWriter::SimEventWriter(std::ostream& out, int person_width)
    : out_(out), person_width_(person_width) {}

void SimEventWriter::AppendPersonId(std::string* out, int person_idx) const {
  out->push_back('P');
  AppendZeroPadded(out, person_idx, person_width_);
}

bool SimEventWriter::Write(int person_idx, const SimEvent& e, bool local, std::string_view source) {
  if (!out_.good()) return false;
  const auto append_time = [&](std::string_view field, TimeMs t) {
    line_.append(R"(,")");
    line_.append(field);
    line_.append(R"(":")");
    AppendTownTime(&line_, t, local);
    line_.push_back('"');
  };
  const auto append_person = [&] {
    line_.append(R"(","person":")");
    AppendPersonId(&line_, person_idx);
    line_.push_back('"');
  };

  line_.clear();
  switch (e.kind) {
    case SimEventKind::kCheckin:
    case SimEventKind::kCheckout:
      line_.append(e.kind == SimEventKind::kCheckin ? R"({"type":"checkin","id":"c-)"
                                                    : R"({"type":"checkout","id":"c-)");
      AppendZeroPadded(&line_, static_cast<int64_t>(++visit_events_), 1);
      append_person();
      line_.append(R"(,"venue":")");
      line_.append(e.venue);
      line_.push_back('"');
      append_time("ts", e.time);
      break;
    case SimEventKind::kPositiveTest:
    case SimEventKind::kNegativeTest:
      line_.append(R"({"type":"test_result","id":"t-)");
      AppendZeroPadded(&line_, static_cast<int64_t>(++tests_), 1);
      append_person();
      append_time("sampled_at", e.time);
      if (e.resulted_at) append_time("resulted_at", *e.resulted_at);
      line_.append(e.kind == SimEventKind::kPositiveTest ? R"(,"result":"positive")"
                                                         : R"(,"result":"negative")");
      line_.append(e.pcr ? R"(,"kind":"pcr","lab":"LAB-D)" : R"(,"kind":"antigen","lab":"LAB-D)");
      AppendZeroPadded(&line_, e.lab_district + 1, 2);
      line_.push_back('"');
      break;
    case SimEventKind::kDeclaration:
      line_.append(R"({"type":"declaration","id":"d-)");
      AppendZeroPadded(&line_, static_cast<int64_t>(++declarations_), 1);
      append_person();
      append_time("ts", e.time);
      if (e.onset) append_time("onset", *e.onset);
      if (e.symptoms != 0) {
        line_.append(R"(,"symptoms":[)");
        bool first = true;
        for (int s = 0; s < kSimSymptomCount; ++s) {
          if ((e.symptoms & (1u << s)) == 0) continue;
          if (!first) line_.push_back(',');
          first = false;
          line_.push_back('"');
          line_.append(kSymptoms[static_cast<size_t>(s)]);
          line_.push_back('"');
        }
        line_.push_back(']');
      }
      break;
  }
  if (!source.empty()) {
    line_.append(R"(,"source":")");
    line_.append(source);
    line_.push_back('"');
  }
  line_.append("}\n");
  out_.write(line_.data(), static_cast<std::streamsize>(line_.size()));
  if (!out_.good()) return false;
  ++written_;
  return true;
}

}  // namespace ctrace
