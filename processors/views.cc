#include "processors/views.h"

namespace ctrace {

std::string_view AlertTypeName(AlertType type) {
  switch (type) {
    case AlertType::kCaseNew:
      return "case.new";
    case AlertType::kExposureNew:
      return "exposure.new";
    case AlertType::kExposureChanged:
      return "exposure.changed";
    case AlertType::kExposureRetracted:
      return "exposure.retracted";
    case AlertType::kClusterChanged:
      return "cluster.changed";
    case AlertType::kClusterDissolved:
      return "cluster.dissolved";
    case AlertType::kVenueHotspot:
      return "venue.hotspot";
  }
  return "unknown";
}

}  // namespace ctrace
