#pragma once
// How the CLI shows records: JSON objects for scripts, aligned text for people.

#include <string>

#include <nlohmann/json.hpp>

#include "ca/records.h"

namespace gzca::app {

nlohmann::json ToJson(const ca::CertificateRecord& rec, TimePoint now);
nlohmann::json ToJson(const ca::IssuerRecord& rec);
std::string ToText(const ca::CertificateRecord& rec, TimePoint now);
// One line per certificate: serial, status, not_after, subject.
std::string ToListLine(const ca::CertificateRecord& rec, TimePoint now);

}  // namespace gzca::app
