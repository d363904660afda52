#include "testing/fixtures.h"

#include <unistd.h>

#include <cstdlib>

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
    // The store module's scratch databases: a SQLite file in a temporary directory, or a fresh
    // schema in GZCA_TEST_PG_URL (removed again when the scratch database is destroyed).
    GZCA_ASSIGN_OR_RETURN(t->scratch_, store::testing::ScratchDatabase::Create(
                                           kind == DbKind::kSqlite ? store::Dialect::kSqlite
                                                                   : store::Dialect::kPostgres));
    GZCA_ASSIGN_OR_RETURN(t->db_, t->scratch_->Open(4));
    GZCA_TRY_STATUS(t->db_->Migrate());
    return t;
}

TestDatabase::~TestDatabase() {
    db_.reset();  // close connections before the scratch database is dropped
    scratch_.reset();
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
