#include "notify/templates.h"

#include <array>
#include <utility>

namespace gzca::notify {
namespace {

constexpr std::array<std::pair<std::string_view, std::string_view>, 1> kDefaults{{
    {"login_code",
     "【国资CA】您的登录验证码为{code}，{minutes}分钟内有效。如非本人操作，请忽略本短信。"},
}};

}  // namespace

Result<std::string> DefaultTemplate(std::string_view name) {
    for (const auto& [n, text] : kDefaults) {
        if (n == name) return std::string(text);
    }
    return Fail(ErrorCode::kNotFound, "no template named " + std::string(name), "未知的消息模板");
}

Result<std::string> RenderTemplate(std::string_view text,
                                   const std::map<std::string, std::string>& values) {
    std::string out;
    out.reserve(text.size() + 32);
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if ((c == '{' || c == '}') && i + 1 < text.size() && text[i + 1] == c) {
            out += c;
            ++i;
            continue;
        }
        if (c != '{') {
            out += c;
            continue;
        }
        std::size_t close = text.find('}', i);
        if (close == std::string_view::npos) {
            return Fail(ErrorCode::kInvalidArgument, "unterminated placeholder",
                        "消息模板格式错误");
        }
        std::string key(text.substr(i + 1, close - i - 1));
        auto it = values.find(key);
        if (it == values.end()) {
            return Fail(ErrorCode::kInvalidArgument, "template placeholder without a value: " + key,
                        "消息模板缺少参数：" + key);
        }
        out += it->second;
        i = close;
    }
    return out;
}

}  // namespace gzca::notify
