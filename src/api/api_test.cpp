// The JSON API and status routes, driven through the Router without sockets, on SQLite and
// PostgreSQL. Every error path must answer {code, message} and change nothing.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/routes.h"
#include "pki/certificate.h"
#include "pki/csr.h"
#include "testing/fixtures.h"

namespace gzca::api {
namespace {

using nlohmann::json;
using testing::DbKind;

class ApiTest : public ::testing::TestWithParam<DbKind> {
  protected:
    void SetUp() override {
        auto t = testing::TestDatabase::Create(GetParam());
        ASSERT_TRUE(t) << t.error().internal;
        tdb_ = std::move(*t);
        dir_ = testing::MakeTempDir("gzca_api_test_");
        ca::KeySecrets secrets;
        secrets.passphrase = "api test passphrase";
        ca_ = std::make_unique<ca::CertificateAuthority>(tdb_->db(), clock_, ca::CaConfig{},
                                                         secrets, dir_);
        ca::HierarchyOptions h;
        h.name = "p256";
        h.algorithm = crypto::KeyAlgorithm::kEcdsaP256;
        ASSERT_TRUE(ca_->InitHierarchy(h));
        ocsp_ = std::make_unique<ca::OcspResponder>(*ca_, clock_);
        keys_ = std::make_unique<ApiKeyStore>(tdb_->db(), clock_);
        services_ = std::make_unique<Services>(Services{*ca_, *ocsp_, *keys_, metrics_, {}});
        services_->on_revoked = [this](std::int64_t, const std::string& serial) {
            revoked_callbacks_.push_back(serial);
        };
        RegisterStatusRoutes(router_, *services_);
        RegisterCertificateApi(router_, *services_);
        all_ = keys_->CreateBearer("all", {Scope::kRead, Scope::kIssue, Scope::kRevoke})->second;
        read_only_ = keys_->CreateBearer("reader", {Scope::kRead})->second;
        auto key = crypto::PrivateKey::Generate(crypto::KeyAlgorithm::kEcdsaP256);
        auto der = pki::BuildCsr(*key, {{{"C", "CN"}, {"O", "国资测试机构"}, {"CN", "王五"}}});
        csr_pem_ = PemOf(*der);
    }
    void TearDown() override {
        services_.reset();
        keys_.reset();
        ocsp_.reset();
        ca_.reset();
        tdb_.reset();
        std::filesystem::remove_all(dir_);
    }

    static std::string PemOf(const Bytes& csr_der) {
        return "-----BEGIN CERTIFICATE REQUEST-----\n" + Base64Encode(csr_der) +
               "\n-----END CERTIFICATE REQUEST-----\n";
    }

    http::Response Call(http::Method method, std::string target, std::string body = {},
                        std::string token = "", std::string content_type = "application/json") {
        http::Request req;
        req.method = method;
        EXPECT_TRUE(http::ParseTarget(target, req));
        req.body = std::move(body);
        if (!token.empty()) req.headers.Add("Authorization", "Bearer " + token);
        if (!content_type.empty()) req.headers.Add("Content-Type", content_type);
        return router_.Handle(req);
    }
    http::Response Issue(const std::string& token) {
        return Call(http::Method::kPost, "/api/v1/certificates",
                    json{{"csr", csr_pem_}, {"issuer", "p256"}}.dump(), token);
    }
    std::int64_t Rows() {
        auto tx = tdb_->db().Begin(false);
        return (*(*tx)->QueryOne("SELECT COUNT(*) FROM certificates"))->Int(0);
    }
    static json Body(const http::Response& r) { return json::parse(r.body); }

    ManualClock clock_{std::chrono::sys_days(std::chrono::year(2026) / 11 / 24)};
    std::unique_ptr<testing::TestDatabase> tdb_;
    std::filesystem::path dir_;
    std::unique_ptr<ca::CertificateAuthority> ca_;
    std::unique_ptr<ca::OcspResponder> ocsp_;
    std::unique_ptr<ApiKeyStore> keys_;
    http::Metrics metrics_;
    std::unique_ptr<Services> services_;
    http::Router router_;
    std::string all_, read_only_, csr_pem_;
    std::vector<std::string> revoked_callbacks_;
};

TEST_P(ApiTest, IssueReturnsStoredCertificateAndChain) {
    auto r = Issue(all_);
    ASSERT_EQ(r.status, 201) << r.body;
    auto j = Body(r);
    EXPECT_EQ(j["status"], "valid");
    EXPECT_EQ(j["subject"], "CN=王五,O=国资测试机构,C=CN");
    ASSERT_EQ(j["chain"].size(), 1u);
    auto cert = pki::ParseCertificate(AsBytes(j["certificate"].get<std::string>()));
    ASSERT_TRUE(cert);
    auto stored = ca_->Find("", j["serial"].get<std::string>());
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->der, pki::CertificateDer(cert->get()));
    auto got = Call(http::Method::kGet, "/api/v1/certificates/" + j["serial"].get<std::string>(),
                    "", read_only_);
    EXPECT_EQ(got.status, 200);
    EXPECT_EQ(Body(got)["serial"], j["serial"]);
}

TEST_P(ApiTest, CredentialsAndScopesAreChecked) {
    auto before = Rows();
    struct Case {
        std::string token;
        int status;
        const char* code;
    } cases[] = {
        {"", 401, "unauthenticated"},
        {"gzca_0000000000000000_" + std::string(64, '0'), 401, "unauthenticated"},
        {all_.substr(0, all_.size() - 1) + (all_.back() == '0' ? "1" : "0"), 401,
         "unauthenticated"},
        {"not a token", 401, "unauthenticated"},
        {read_only_, 403, "permission_denied"},
    };
    for (const auto& c : cases) {
        auto r = Issue(c.token);
        EXPECT_EQ(r.status, c.status) << c.token;
        EXPECT_EQ(Body(r)["code"], c.code) << c.token;
    }
    // A revoked key stops working.
    auto key_id = all_.substr(5, 16);
    ASSERT_TRUE(keys_->Revoke(key_id));
    EXPECT_EQ(Issue(all_).status, 401);
    EXPECT_EQ(keys_->Revoke(key_id).error().code, ErrorCode::kFailedPrecondition);
    EXPECT_EQ(Rows(), before);
}

TEST_P(ApiTest, ClientCertificateBoundToAKeyAuthenticates) {
    auto issued = Body(Issue(all_));
    std::string serial = issued["serial"];
    auto der = ca_->Find("", serial)->der;
    auto call = [&](const Bytes& cert) {
        http::Request req;
        req.method = http::Method::kGet;
        EXPECT_TRUE(http::ParseTarget("/api/v1/certificates/" + serial, req));
        req.client_cert_der = std::make_shared<const Bytes>(cert);
        return router_.Handle(req);
    };
    // Not bound to a key yet: refused.
    EXPECT_EQ(call(der).status, 401);
    ASSERT_TRUE(keys_->CreateForClientCert("portal", {Scope::kRead}, serial));
    EXPECT_EQ(call(der).status, 200);
    // A different certificate claiming the same serial is not ours: refused.
    Bytes forged = der;
    forged[forged.size() - 10] ^= 0x01;
    EXPECT_EQ(call(forged).status, 401);
    // Once the certificate is revoked it no longer authenticates.
    ASSERT_TRUE(ca_->Revoke("", serial, pki::RevocationReason::kKeyCompromise));
    EXPECT_EQ(call(der).status, 401);
}

TEST_P(ApiTest, BadInputGets4xxJsonAndChangesNothing) {
    auto before = Rows();
    struct Case {
        std::string body;
        std::string content_type;
        int status;
    } cases[] = {
        {"{not json", "application/json", 400},
        {"[1,2]", "application/json", 400},
        {json{{"csr", csr_pem_}}.dump(), "text/plain", 400},
        {json{{"issuer", "p256"}}.dump(), "application/json", 400},
        {json{{"csr", 42}}.dump(), "application/json", 400},
        {json{{"csr",
               "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----"}}
             .dump(),
         "application/json", 400},
        {json{{"csr", csr_pem_}, {"profile", "root-ca"}}.dump(), "application/json", 400},
        {json{{"csr", csr_pem_}, {"issuer", "nope"}}.dump(), "application/json", 404},
        {json{{"csr", csr_pem_}, {"subject", "/CN=" + std::string(100, 'x')}}.dump(),
         "application/json", 400},
        {json{{"csr", csr_pem_}, {"dns_names", "x"}}.dump(), "application/json", 400},
    };
    for (const auto& c : cases) {
        auto r = Call(http::Method::kPost, "/api/v1/certificates", c.body, all_, c.content_type);
        EXPECT_EQ(r.status, c.status) << c.body;
        auto j = Body(r);
        EXPECT_TRUE(j.contains("code") && j.contains("message")) << r.body;
        // Library text never reaches a client.
        EXPECT_EQ(r.body.find("error:"), std::string::npos) << r.body;
        EXPECT_EQ(r.body.find("SELECT"), std::string::npos) << r.body;
    }
    EXPECT_EQ(Rows(), before);
}

TEST_P(ApiTest, RenewRevokeAndTheirErrors) {
    auto issued = Body(Issue(all_));
    std::string serial = issued["serial"];
    auto renewed = Call(http::Method::kPost, "/api/v1/certificates/" + serial + "/renew", "", all_);
    ASSERT_EQ(renewed.status, 201) << renewed.body;
    EXPECT_EQ(Body(renewed)["replaces"], serial);
    auto unknown = Call(http::Method::kPost, "/api/v1/certificates/abcdef/revoke", "", all_);
    EXPECT_EQ(unknown.status, 404);
    auto bad_reason = Call(http::Method::kPost, "/api/v1/certificates/" + serial + "/revoke",
                           json{{"reason", "because"}}.dump(), all_);
    EXPECT_EQ(bad_reason.status, 400);
    auto no_scope = Call(http::Method::kPost, "/api/v1/certificates/" + serial + "/revoke",
                         json{{"reason", "keyCompromise"}}.dump(), read_only_);
    EXPECT_EQ(no_scope.status, 403);
    EXPECT_TRUE(revoked_callbacks_.empty());
    auto revoked = Call(http::Method::kPost, "/api/v1/certificates/" + serial + "/revoke",
                        json{{"reason", "keyCompromise"}}.dump(), all_);
    ASSERT_EQ(revoked.status, 200) << revoked.body;
    EXPECT_EQ(Body(revoked)["status"], "revoked");
    EXPECT_EQ(Body(revoked)["revocation_reason"], "keyCompromise");
    EXPECT_EQ(revoked_callbacks_, std::vector<std::string>{serial});
    auto again = Call(http::Method::kPost, "/api/v1/certificates/" + serial + "/revoke",
                      json{{"reason", "keyCompromise"}}.dump(), all_);
    EXPECT_EQ(again.status, 409);
    EXPECT_EQ(Body(again)["code"], "failed_precondition");
}

TEST_P(ApiTest, ListFiltersAndValidatesQueries) {
    ASSERT_EQ(Issue(all_).status, 201);
    ASSERT_EQ(Issue(all_).status, 201);
    auto list = Call(http::Method::kGet,
                     "/api/v1/certificates?issuer=p256&subject=%E7%8E%8B&limit=10", "", read_only_);
    ASSERT_EQ(list.status, 200) << list.body;
    EXPECT_EQ(Body(list)["items"].size(), 2u);
    EXPECT_FALSE(Body(list)["items"][0].contains("certificate"));
    for (const char* q :
         {"limit=0", "limit=abc", "offset=-1", "status=bogus", "expiring_within_days=x"}) {
        auto r = Call(http::Method::kGet, std::string("/api/v1/certificates?") + q, "", read_only_);
        EXPECT_EQ(r.status, 400) << q;
    }
}

TEST_P(ApiTest, CrlAndCaCertificateRoutes) {
    auto crl = Call(http::Method::kGet, "/crl/p256-issuing.crl");
    ASSERT_EQ(crl.status, 200);
    EXPECT_EQ(crl.content_type, "application/pkix-crl");
    auto parsed = pki::ParseCrl(AsBytes(crl.body));
    ASSERT_TRUE(parsed);
    // A second fetch serves the stored CRL (no re-signing while it is fresh).
    EXPECT_EQ(Call(http::Method::kGet, "/crl/p256-issuing.crl").body, crl.body);
    EXPECT_EQ(Call(http::Method::kGet, "/crl/nope.crl").status, 404);
    EXPECT_EQ(Call(http::Method::kGet, "/crl/p256-issuing").status, 404);
    auto cert = Call(http::Method::kGet, "/ca/p256-root.crt");
    ASSERT_EQ(cert.status, 200);
    EXPECT_TRUE(pki::ParseCertificate(AsBytes(cert.body)));
    EXPECT_EQ(Call(http::Method::kPost, "/ocsp", "junk", "", "text/plain").status, 415);
}

INSTANTIATE_TEST_SUITE_P(BothDatabases, ApiTest,
                         ::testing::Values(DbKind::kSqlite, DbKind::kPostgres),
                         [](const auto& info) { return testing::DbKindName(info.param); });

}  // namespace
}  // namespace gzca::api
