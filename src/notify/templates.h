#pragma once
// Message templates (zh-CN): named texts with {placeholders}. Defaults are built in; the
// notifications issue makes them configurable.
//
// Thread-safety: pure functions.

#include <map>
#include <string>
#include <string_view>

#include "base/error.h"

namespace gzca::notify {

// The built-in text of template `name` ("login_code", …), or kNotFound.
Result<std::string> DefaultTemplate(std::string_view name);

// Replaces each {key} in `text` with values.at(key). kInvalidArgument naming the placeholder
// when a value is missing (a message is never sent with a hole in it); "{{" and "}}" are
// literal braces.
Result<std::string> RenderTemplate(std::string_view text,
                                   const std::map<std::string, std::string>& values);

}  // namespace gzca::notify
