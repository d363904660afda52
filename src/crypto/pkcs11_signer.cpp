// OpenPkcs11Signer: keys in PKCS#11 tokens through libp11's OpenSSL engine.
//
// The ENGINE API is deprecated in OpenSSL 3.0 but libp11's engine is what Debian 12 ships (the
// pkcs11-provider is not packaged there), so this one file opts out of the deprecation warnings.
#define OPENSSL_SUPPRESS_DEPRECATED

#include <dlfcn.h>

#include <openssl/crypto.h>
#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/ui.h>

#include <p11-kit/pkcs11.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "crypto/sign_context.h"
#include "crypto/signer.h"

namespace gzca::crypto {

namespace {

// ---------------------------------------------------------------------------------------------
// The error queue left by a failed ENGINE_load_private_key.
//
// libp11 registers its error libraries at run time, so they are recognised by name. Reasons in
// the "PKCS#11 module" library are the module's CK_RV values (PKCS#11 v2.40 §11.1).

constexpr const char* kCkrLibrary = "PKCS#11 module";
constexpr const char* kLibp11Library = "libp11";
constexpr const char* kEngineLibrary = "pkcs11 engine";
constexpr const char* kObjectNotFound = "object not found";

struct LoadFailure {
    std::vector<unsigned long> ckr;  // CK_RV values reported by the module
    bool module_unloadable = false;  // libp11 could not dlopen / initialise the module
    bool object_not_found = false;   // no token or no object matched the URI
    bool pin_prompt_failed = false;  // a PIN was needed and none was given
    std::string text;                // the whole queue, for Error::internal
};

LoadFailure DrainLoadFailure() {
    LoadFailure f;
    const char* data = nullptr;
    int flags = 0;
    while (unsigned long e = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof(buf));
        if (!f.text.empty()) f.text += "; ";
        f.text += buf;
        if ((flags & ERR_TXT_STRING) != 0 && data != nullptr && *data != '\0') {
            f.text += fmt::format(" ({})", data);
        }
        const char* lib = ERR_lib_error_string(e);
        const char* reason = ERR_reason_error_string(e);
        std::string_view lib_name = lib != nullptr ? lib : "";
        if (lib_name == kCkrLibrary) {
            f.ckr.push_back(ERR_GET_REASON(e));
        } else if (lib_name == kLibp11Library) {
            f.module_unloadable = true;
        } else if (lib_name == kEngineLibrary && reason != nullptr &&
                   std::string_view(reason) == kObjectNotFound) {
            f.object_not_found = true;
        } else if (ERR_GET_LIB(e) == ERR_LIB_UI) {
            f.pin_prompt_failed = true;
        }
    }
    return f;
}

// ---------------------------------------------------------------------------------------------
// Whether a token with a given label is present (PKCS#11 v2.40 §5.5 C_GetSlotList with
// tokenPresent = TRUE, C_GetTokenInfo). Used only to tell "token absent" (kUnavailable) from
// "no such key" (kNotFound), which libp11 reports alike. nullopt when the module cannot say.

struct DlCloser {
    void operator()(void* h) const { dlclose(h); }
};

std::optional<bool> TokenPresent(const std::string& module_path, std::string_view label) {
    std::unique_ptr<void, DlCloser> module(dlopen(module_path.c_str(), RTLD_NOW | RTLD_LOCAL));
    if (!module) return std::nullopt;
    auto get_list =
        reinterpret_cast<CK_C_GetFunctionList>(dlsym(module.get(), "C_GetFunctionList"));
    CK_FUNCTION_LIST_PTR fns = nullptr;
    if (get_list == nullptr || get_list(&fns) != CKR_OK || fns == nullptr) return std::nullopt;

    // libp11 has normally initialised the module already (it is the same library instance);
    // finalise only what we initialised ourselves.
    CK_C_INITIALIZE_ARGS args{};
    args.flags = CKF_OS_LOCKING_OK;
    CK_RV rv = fns->C_Initialize(&args);
    if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) return std::nullopt;
    const bool we_initialized = rv == CKR_OK;

    std::optional<bool> found;
    CK_ULONG count = 0;
    if (fns->C_GetSlotList(CK_TRUE, nullptr, &count) == CKR_OK) {
        std::vector<CK_SLOT_ID> slots(count);
        if (fns->C_GetSlotList(CK_TRUE, slots.data(), &count) == CKR_OK) {
            found = false;
            slots.resize(count);
            for (CK_SLOT_ID slot : slots) {
                CK_TOKEN_INFO info{};
                if (fns->C_GetTokenInfo(slot, &info) != CKR_OK) continue;
                // The label is 32 bytes of UTF-8 padded with blanks (§3.2 CK_TOKEN_INFO).
                std::string_view have(reinterpret_cast<const char*>(info.label),
                                      sizeof(info.label));
                while (!have.empty() && have.back() == ' ') have.remove_suffix(1);
                if (have == label) found = true;
            }
        }
    }
    if (we_initialized) fns->C_Finalize(nullptr);
    return found;
}

// The percent-decoded value of `attr` in the path of an RFC 7512 PKCS#11 URI (§2.3), or
// nullopt when absent or malformed.
std::optional<std::string> UriPathAttribute(std::string_view uri, std::string_view attr) {
    constexpr std::string_view kScheme = "pkcs11:";
    if (uri.substr(0, kScheme.size()) != kScheme) return std::nullopt;
    std::string_view path = uri.substr(kScheme.size());
    path = path.substr(0, path.find('?'));
    while (!path.empty()) {
        std::string_view item = path.substr(0, path.find(';'));
        path.remove_prefix(std::min(path.size(), item.size() + 1));
        std::size_t eq = item.find('=');
        if (eq == std::string_view::npos || item.substr(0, eq) != attr) continue;
        std::string value;
        std::string_view raw = item.substr(eq + 1);
        for (std::size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] != '%') {
                value += raw[i];
                continue;
            }
            if (i + 2 >= raw.size()) return std::nullopt;
            auto hex = [](char c) -> int {
                if (c >= '0' && c <= '9') return c - '0';
                if (c >= 'a' && c <= 'f') return c - 'a' + 10;
                if (c >= 'A' && c <= 'F') return c - 'A' + 10;
                return -1;
            };
            int hi = hex(raw[i + 1]), lo = hex(raw[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            value += static_cast<char>(hi * 16 + lo);
            i += 2;
        }
        return value;
    }
    return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// The engine.

// A UI that never reads anything. Without it libp11 falls back to OpenSSL's default UI and asks
// for a missing or rejected PIN on the terminal, which a server must never do.
const UI_METHOD* NoPromptUi() {
    static UI_METHOD* const ui = [] {
        UI_METHOD* m = UI_create_method("gzca-no-prompt");
        if (m != nullptr) UI_method_set_reader(m, [](UI*, UI_STRING*) { return 0; });
        return m;
    }();
    return ui;
}

std::string EngineSharedObject() {
    const char* env = std::getenv("OPENSSL_ENGINES");
    std::string dir;
    if (env != nullptr && *env != '\0') {
        dir = env;
    } else {
        // OpenSSL_version gives `ENGINESDIR: "/usr/lib/x86_64-linux-gnu/engines-3"`.
        std::string_view v = OpenSSL_version(OPENSSL_ENGINES_DIR);
        std::size_t open = v.find('"');
        std::size_t close = v.rfind('"');
        if (open != std::string_view::npos && close > open) {
            dir = v.substr(open + 1, close - open - 1);
        }
    }
    return dir + "/pkcs11.so";
}

// The process's one instance of libp11's engine. libp11 cannot bind a second instance while one
// exists (its dynamic bind fails), and once it has loaded a PKCS#11 module it keeps it: the
// engine caches its keys (each holding an engine reference), so ENGINE_finish never reaches
// libp11's cleanup, and a later MODULE_PATH is silently ignored. So the engine serves one module
// per process. Until a key has been loaded (module_bound_), MODULE_PATH may still change — a
// failed module load leaves libp11 ready to try again.
//
// Thread-safety: every member is guarded by mutex_. Open() holds it across the whole load
// because the PIN is engine-wide state. Keys it returns may be used from any thread (libp11
// locks its sessions).
class Pkcs11Engine {
  public:
    // Deliberately leaked, like the module itself: nothing unloads during static destruction,
    // after OpenSSL's own atexit cleanup may have run.
    static Pkcs11Engine& Instance() {
        static auto* const instance = new Pkcs11Engine;
        return *instance;
    }

    // Loads the key `ref` names from the module at `module_path` (canonical).
    Result<PKeyPtr> Open(const Pkcs11KeyRef& ref, const std::string& module_path) {
        std::lock_guard lock(mutex_);
        ClearOpenSslErrors();
        GZCA_TRY_STATUS(BindModule(module_path));
        if (!ref.pin.empty() && ENGINE_ctrl_cmd_string(engine_, "PIN", ref.pin.c_str(), 0) != 1) {
            return Fail(OpenSslError("setting PKCS#11 PIN"));
        }
        EVP_PKEY* key = ENGINE_load_private_key(engine_, ref.uri.c_str(),
                                                const_cast<UI_METHOD*>(NoPromptUi()), nullptr);
        LoadFailure failure;
        if (key == nullptr) failure = DrainLoadFailure();
        // Forget the PIN: the token stays logged in (PKCS#11 login is per application), and a
        // later open with another PIN must not find this one.
        ENGINE_ctrl_cmd(engine_, "PIN", 0, nullptr, nullptr, 0);
        ClearOpenSslErrors();
        if (key == nullptr) return Fail(MapLoadFailure(failure, ref));
        module_bound_ = true;
        return PKeyPtr(key);
    }

  private:
    Pkcs11Engine() = default;

    // Makes the engine serve `module_path`, loading and initialising it on first use.
    Status BindModule(const std::string& module_path) {
        if (module_bound_) {
            if (module_path == module_path_) return Ok();
            return Fail(ErrorCode::kFailedPrecondition,
                        "this process already uses PKCS#11 module " + module_path_ +
                            "; cannot also use " + module_path,
                        "another PKCS#11 module is in use");
        }
        if (engine_ == nullptr) {
            GZCA_ASSIGN_OR_RETURN(ENGINE * e, LoadEngine());
            // libp11 otherwise narrates every failed lookup and login on stderr.
            if (ENGINE_ctrl_cmd_string(e, "MODULE_PATH", module_path.c_str(), 0) != 1 ||
                ENGINE_ctrl_cmd_string(e, "QUIET", nullptr, 0) != 1 || ENGINE_init(e) != 1) {
                ENGINE_free(e);
                return Fail(OpenSslError("initialising the pkcs11 engine", ErrorCode::kUnavailable,
                                         "PKCS#11 support is not available"));
            }
            engine_ = e;
            module_path_ = module_path;
        }
        if (module_path != module_path_) {
            if (ENGINE_ctrl_cmd_string(engine_, "MODULE_PATH", module_path.c_str(), 0) != 1) {
                return Fail(OpenSslError("setting PKCS#11 module path"));
            }
            module_path_ = module_path;
        }
        return Ok();
    }

    // A structural reference to libp11's engine: the registered "pkcs11" engine, or the shared
    // object in OpenSSL's engines directory when it is not registered.
    static Result<ENGINE*> LoadEngine() {
        if (ENGINE* e = ENGINE_by_id("pkcs11")) return e;
        ClearOpenSslErrors();
        const std::string so_path = EngineSharedObject();
        if (!std::filesystem::exists(so_path)) {
            return Fail(ErrorCode::kUnavailable,
                        "PKCS#11 engine not installed at " + so_path +
                            " (Debian package libengine-pkcs11-openssl)",
                        "PKCS#11 support is not installed");
        }
        ENGINE* e = ENGINE_by_id("dynamic");
        if (e == nullptr) return Fail(OpenSslError("loading the dynamic engine"));
        if (ENGINE_ctrl_cmd_string(e, "SO_PATH", so_path.c_str(), 0) != 1 ||
            ENGINE_ctrl_cmd_string(e, "ID", "pkcs11", 0) != 1 ||
            ENGINE_ctrl_cmd_string(e, "LOAD", nullptr, 0) != 1) {
            ENGINE_free(e);
            return Fail(OpenSslError("loading the pkcs11 engine from " + so_path,
                                     ErrorCode::kUnavailable, "PKCS#11 support is not available"));
        }
        return e;
    }

    Error MapLoadFailure(const LoadFailure& f, const Pkcs11KeyRef& ref) const {
        auto make = [&](ErrorCode code, std::string_view what, std::string public_message) {
            return Error{code, fmt::format("{} ({}): {}", what, ref.uri, f.text),
                         std::move(public_message)};
        };
        // PKCS#11 v2.40 §5.1 return values, most specific first.
        for (unsigned long rv : f.ckr) {
            switch (rv) {
                case CKR_PIN_INCORRECT:
                case CKR_PIN_INVALID:
                case CKR_PIN_LEN_RANGE:
                    return make(ErrorCode::kUnauthenticated, "PKCS#11 login failed",
                                "wrong token PIN");
                case CKR_PIN_LOCKED:
                case CKR_PIN_EXPIRED:
                    return make(ErrorCode::kFailedPrecondition, "PKCS#11 PIN locked or expired",
                                "the token PIN is locked");
                case CKR_TOKEN_NOT_PRESENT:
                case CKR_TOKEN_NOT_RECOGNIZED:
                case CKR_DEVICE_REMOVED:
                case CKR_DEVICE_ERROR:
                case CKR_DEVICE_MEMORY:
                    return make(ErrorCode::kUnavailable, "PKCS#11 token unavailable",
                                "the key token is not available");
                default:
                    break;
            }
        }
        if (f.module_unloadable) {
            return make(ErrorCode::kUnavailable, "PKCS#11 module unusable: " + module_path_,
                        "the PKCS#11 module is not available");
        }
        if (f.pin_prompt_failed) {
            return make(ErrorCode::kUnauthenticated, "PKCS#11 token needs a PIN",
                        "a token PIN is required");
        }
        if (f.object_not_found) {
            auto label = UriPathAttribute(ref.uri, "token");
            if (label && TokenPresent(module_path_, *label) == false) {
                return make(ErrorCode::kUnavailable, "PKCS#11 token not present",
                            "the key token is not available");
            }
            return make(ErrorCode::kNotFound, "no such PKCS#11 key",
                        "the signing key was not found on the token");
        }
        return make(ErrorCode::kInternal, "loading PKCS#11 key", "the token key cannot be used");
    }

    std::mutex mutex_;
    ENGINE* engine_ = nullptr;   // structural + functional reference, kept until exit
    std::string module_path_;    // the MODULE_PATH engine_ is set to
    bool module_bound_ = false;  // a key has been loaded: module_path_ is fixed
};

// The key's RSA/EC methods live in the engine and use its PKCS#11 sessions; the engine outlives
// every signer (Pkcs11Engine::Instance).
class Pkcs11Signer final : public Signer {
  public:
    Pkcs11Signer(PKeyPtr key, KeyAlgorithm alg) : key_(std::move(key)), algorithm_(alg) {}

    KeyAlgorithm algorithm() const override { return algorithm_; }
    EVP_PKEY* pkey() const override { return key_.get(); }
    Result<MdCtxPtr> NewSignContext() const override {
        return NewDigestSignContext(key_.get(), algorithm_, ErrorCode::kUnavailable);
    }

  private:
    PKeyPtr key_;
    KeyAlgorithm algorithm_;
};

}  // namespace

Result<std::unique_ptr<Signer>> OpenPkcs11Signer(const Pkcs11KeyRef& ref) {
    std::error_code ec;
    const std::filesystem::path module = std::filesystem::canonical(ref.module_path, ec);
    if (ref.module_path.empty() || ec) {
        return Fail(ErrorCode::kUnavailable, "PKCS#11 module not found: " + ref.module_path,
                    "the PKCS#11 module is not available");
    }
    GZCA_ASSIGN_OR_RETURN(PKeyPtr key, Pkcs11Engine::Instance().Open(ref, module.string()));
    GZCA_ASSIGN_OR_RETURN(KeyAlgorithm alg, ClassifyKey(key.get()));
    if (alg == KeyAlgorithm::kSm2) {
        // libp11 drives EC keys through ECDSA methods; it cannot make SM2 signatures.
        return Fail(ErrorCode::kInvalidArgument, "SM2 keys in PKCS#11 tokens are not supported");
    }
    return std::unique_ptr<Signer>(std::make_unique<Pkcs11Signer>(std::move(key), alg));
}

}  // namespace gzca::crypto
