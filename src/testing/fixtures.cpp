#include "testing/fixtures.h"

#include <unistd.h>

#include <cstdlib>
#include <random>

#include <fmt/format.h>

#include "crypto/signer.h"
#include "pki/csr.h"
#include "pki/name.h"

namespace gzca::testing {

std::string DbKindName(DbKind kind) { return kind == DbKind::kSqlite ? "SQLite" : "PostgreSQL"; }

std::filesystem::path MakeTempDir(const std::string& prefix) {
    std::string templ = (std::filesystem::temp_directory_path() / (prefix + "XXXXXX")).string();
    if (!::mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
    return templ;
}

Result<std::unique_ptr<TestDatabase>> TestDatabase::Create(DbKind kind) {
    std::unique_ptr<TestDatabase> t(new TestDatabase());
    if (kind == DbKind::kSqlite) {
        t->dir_ = MakeTempDir("gzca_test_db_");
        t->url_ = "sqlite:" + (t->dir_ / "test.db").string();
    } else {
        const char* base = std::getenv("GZCA_TEST_PG_URL");
        if (!base || !*base) {
            return Fail(ErrorCode::kUnavailable,
                        "GZCA_TEST_PG_URL is not set: run the suite through scripts/run-tests.sh");
        }
        t->schema_ = fmt::format("t_{}_{:x}", ::getpid(), std::random_device{}());
        GZCA_ASSIGN_OR_RETURN(auto admin, store::Database::Open(base, 1));
        GZCA_ASSIGN_OR_RETURN(auto tx, admin->Begin(true));
        GZCA_TRY_STATUS(tx->Exec(fmt::format("CREATE SCHEMA {}", t->schema_)));
        GZCA_TRY_STATUS(tx->Commit());
        std::string url = base;
        url += (url.find('?') == std::string::npos ? "?" : "&");
        url += fmt::format("options=-csearch_path%3D{}", t->schema_);
        t->url_ = url;
    }
    GZCA_ASSIGN_OR_RETURN(t->db_, store::Database::Open(t->url_, 4));
    GZCA_TRY_STATUS(t->db_->Migrate());
    return t;
}

TestDatabase::~TestDatabase() {
    db_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
    if (!schema_.empty()) {
        if (auto admin = store::Database::Open(std::getenv("GZCA_TEST_PG_URL"), 1)) {
            if (auto tx = (*admin)->Begin(true)) {
                (void)(*tx)->Exec(fmt::format("DROP SCHEMA {} CASCADE", schema_));
                (void)(*tx)->Commit();
            }
        }
    }
}

Result<Bytes> MakeCsr(const crypto::PrivateKey& key, const std::string& subject,
                      bool sm2_empty_id) {
    GZCA_ASSIGN_OR_RETURN(auto dn, pki::ParseDistinguishedName(subject));
    if (!(key.algorithm() == crypto::KeyAlgorithm::kSm2 && sm2_empty_id)) {
        return pki::BuildCsr(key, dn);
    }
    // OpenSSL's own default: SM2 with the empty ID (what `openssl req -sm3` makes).
    GZCA_ASSIGN_OR_RETURN(auto name, pki::ToX509Name(dn));
    crypto::X509ReqPtr req(X509_REQ_new());
    X509_REQ_set_version(req.get(), 0);
    X509_REQ_set_subject_name(req.get(), name.get());
    X509_REQ_set_pubkey(req.get(), key.get());
    crypto::MdCtxPtr ctx(EVP_MD_CTX_new());
    if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sm3(), nullptr, key.get()) != 1 ||
        X509_REQ_sign_ctx(req.get(), ctx.get()) <= 0) {
        return Fail(crypto::OpenSslError("sign CSR"));
    }
    return crypto::ToDer(req.get(), i2d_X509_REQ);
}

}  // namespace gzca::testing
