// gzca_embed_web: the build-time tool behind gzca::webassets (see assets.h).
//
//   gzca_embed_web WEB_DIR OUTPUT.cpp FILE...
//
// Writes OUTPUT.cpp holding every FILE (each must lie under WEB_DIR) as a string literal plus a
// table sorted by path with media type and ETag. Pages (WEB_DIR/pages/*.html) are stored with
// their include directives expanded from WEB_DIR/partials/ (see includes.h); the partials
// themselves are not stored. Exits non-zero, writing nothing, when a file is outside WEB_DIR,
// unreadable, has an extension ContentTypeFor() does not know, or when a page's directive is
// malformed or names a missing partial. Output is written only when it changed, so an
// unchanged web/ does not recompile the table.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <openssl/evp.h>

#include "webassets/assets.h"
#include "webassets/includes.h"

namespace {

namespace fs = std::filesystem;

struct File {
    std::string path;  // "/assets/app.css"
    std::string content_type;
    std::string body;
    std::string etag;  // with quotes
};

std::string Sha256Prefix(const std::string& data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("SHA-256 failed");
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < 8; ++i) {
        out += kHex[md[i] >> 4];
        out += kHex[md[i] & 15];
    }
    return out;
}

// A C++ string literal for arbitrary bytes, split into lines: printable ASCII as is, everything
// else as a three-digit octal escape (which, unlike \x, never swallows the next character).
void WriteLiteral(std::ostream& out, const std::string& bytes) {
    if (bytes.empty()) {
        out << "\"\"";
        return;
    }
    std::size_t column = 0;
    out << '"';
    for (unsigned char c : bytes) {
        if (column >= 100) {
            out << "\"\n    \"";
            column = 0;
        }
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '?') {
            out << static_cast<char>(c);
            column += 1;
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\%03o", c);
            out << buf;
            column += 4;
        }
        if (c == '\n') column = 100;  // keep source lines aligned with text lines
    }
    out << '"';
}

bool Skipped(const fs::path& relative) {
    for (const auto& part : relative) {
        auto s = part.string();
        if (!s.empty() && s.front() == '.') return true;  // .DS_Store, .git, editor files
    }
    auto name = relative.filename().string();
    return !name.empty() && name.back() == '~';
}

int Run(int argc, char** argv) {
    if (argc < 3) {
        std::cerr << "usage: gzca_embed_web WEB_DIR OUTPUT.cpp FILE...\n";
        return 2;
    }
    const fs::path root = fs::weakly_canonical(argv[1]);
    const fs::path output = argv[2];
    std::vector<File> files;
    for (int i = 3; i < argc; ++i) {
        const fs::path file = fs::weakly_canonical(argv[i]);
        const fs::path relative = file.lexically_relative(root);
        if (relative.empty() || relative.native().starts_with("..")) {
            std::cerr << "gzca_embed_web: " << file << " is not under " << root << "\n";
            return 1;
        }
        if (Skipped(relative) || !fs::is_regular_file(file)) continue;
        if (*relative.begin() == fs::path(gzca::webassets::kPartialsDir)) continue;  // not served
        File f;
        f.path = "/" + relative.generic_string();
        f.content_type = gzca::webassets::ContentTypeFor(f.path);
        if (f.content_type.empty()) {
            std::cerr << "gzca_embed_web: " << f.path
                      << ": unknown file type (add it to ContentTypeFor in content_type.cpp)\n";
            return 1;
        }
        auto body = gzca::webassets::ReadRegularFile(file);
        if (!body) {
            std::cerr << "gzca_embed_web: cannot read " << file << "\n";
            return 1;
        }
        f.body = std::move(*body);
        if (gzca::webassets::HasIncludes(f.path)) {
            auto expanded = gzca::webassets::ExpandIncludes(
                f.body, "web" + f.path, [&root](std::string_view name) {
                    return gzca::webassets::ReadRegularFile(root / gzca::webassets::kPartialsDir /
                                                            fs::path(name));
                });
            if (!expanded.ok()) {
                std::cerr << "gzca_embed_web: " << expanded.error << "\n";
                return 1;
            }
            f.body = std::move(expanded.text);
        }
        f.etag = "\"" + Sha256Prefix(f.body) + "\"";
        files.push_back(std::move(f));
    }
    std::sort(files.begin(), files.end(),
              [](const File& a, const File& b) { return a.path < b.path; });
    files.erase(std::unique(files.begin(), files.end(),
                            [](const File& a, const File& b) { return a.path == b.path; }),
                files.end());

    std::ostringstream out;
    out << "// Generated by gzca_embed_web from web/. Do not edit.\n"
           "#include <cstddef>\n\n#include \"webassets/assets.h\"\n\n"
           "namespace gzca::webassets::detail {\n\n";
    out << "extern const Asset kTable[];\nextern const std::size_t kTableSize;\n\n";
    if (files.empty()) {
        out << "const Asset kTable[1] = {};\nconst std::size_t kTableSize = 0;\n";
    } else {
        out << "const Asset kTable[] = {\n";
        for (const auto& f : files) {
            out << "{";
            WriteLiteral(out, f.path);
            out << ", ";
            WriteLiteral(out, f.content_type);
            out << ",\n std::string_view{";
            WriteLiteral(out, f.body);
            out << ", " << f.body.size() << "},\n ";
            WriteLiteral(out, f.etag);
            out << "},\n";
        }
        out << "};\nconst std::size_t kTableSize = " << files.size() << ";\n";
    }
    out << "\n}  // namespace gzca::webassets::detail\n";

    const std::string text = out.str();
    {
        std::ifstream old(output, std::ios::binary);
        std::ostringstream previous;
        if (old) previous << old.rdbuf();
        if (old && previous.str() == text) return 0;
    }
    const fs::path temp = output.string() + ".tmp";
    {
        std::ofstream o(temp, std::ios::binary | std::ios::trunc);
        o << text;
        if (!o.flush()) {
            std::cerr << "gzca_embed_web: cannot write " << temp << "\n";
            return 1;
        }
    }
    fs::rename(temp, output);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return Run(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "gzca_embed_web: " << e.what() << "\n";
        return 1;
    }
}
